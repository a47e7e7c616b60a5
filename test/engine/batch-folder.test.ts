// A batch with no output folder named goes to batches/<when> <what>-<4 hex>; a web-mode sending's
// own time stamp is not repeated in it (issue 30: "2026-12-07 0246 2026-12-07_024618_photos-63e3").
import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newBatchFolder } from '../../src/engine/api/agingHandlers'

const at = new Date('2026-12-07T02:46:18Z')
const name = (input: string) => basename(newBatchFolder('/home/studio', input, at))

describe('a new batch folder', () => {
  it('says the date once for a web-mode sending', () => {
    expect(name('/home/studio/uploads/2026-12-07 024618 photos')).toMatch(/^2026-12-07 0246 photos-[0-9a-f]{4}$/)
    expect(name('/home/studio/uploads/2026-12-07 024618 CACD set')).toMatch(/^2026-12-07 0246 CACD_set-[0-9a-f]{4}$/)
  })
  it('keeps a folder or photo name as it is, made safe', () => {
    expect(name('/cases/2019 missing/face.jpg')).toMatch(/^2026-12-07 0246 face\.jpg-[0-9a-f]{4}$/)
    expect(name('/cases/2019-04-01 witness')).toMatch(/^2026-12-07 0246 2019-04-01_witness-[0-9a-f]{4}$/)
    expect(name('/cases/../$(rm -rf)')).toMatch(/^2026-12-07 0246 _rm_-rf_-[0-9a-f]{4}$/)
  })
  it('is named "photos" when nothing is left of the name', () => {
    expect(name('/home/studio/uploads/2026-12-07 024618')).toMatch(/^2026-12-07 0246 photos-[0-9a-f]{4}$/)
  })
})
