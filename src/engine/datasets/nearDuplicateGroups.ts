/**
 * Near-duplicates (a resized, re-encoded or re-toned copy of a photo) are one face for the splits:
 * a copy in train and its original in test would let a model be judged on a face it trained on.
 * After an import, each group of near-duplicates (linked by the import's matches) gets one
 * original, chosen by the photos alone (the most pixels, then the smallest hash), so the file order
 * never changes which one is flagged; every member takes one split: that of a member imported
 * earlier (runs may have trained on it), else the one the original's key draws.
 */
import type { ImageFlag, Split } from '../../shared/domain'
import type { Catalog } from '../catalog/catalog'
import { splitKey, type GroupMember } from '../catalog/images'

const FLAG: ImageFlag = 'near-duplicate'

/** Connected groups of the linked ids (union-find). */
function groups(links: [number, number][]): number[][] {
  const parent = new Map<number, number>()
  const find = (id: number): number => {
    let root = id
    while (parent.get(root) !== root) root = parent.get(root)!
    return root
  }
  for (const [a, b] of links) {
    for (const id of [a, b]) if (!parent.has(id)) parent.set(id, id)
    const [ra, rb] = [find(a), find(b)]
    if (ra !== rb) parent.set(ra, rb)
  }
  const byRoot = new Map<number, number[]>()
  for (const id of parent.keys()) byRoot.set(find(id), [...(byRoot.get(find(id)) ?? []), id])
  return [...byRoot.values()].filter((group) => group.length > 1)
}

/** The original of a group: the most pixels, then the smallest content hash. */
const moreOriginal = (a: GroupMember, b: GroupMember) => (b.width ?? 0) * (b.height ?? 0) - (a.width ?? 0) * (a.height ?? 0) || (a.sha256 < b.sha256 ? -1 : 1)

/** Settles every group the import's `links` ([new image, its nearest match]) touch; `fresh` are this import's ids. */
export function settleNearDuplicates(catalog: Catalog, links: [number, number][], fresh: Set<number>, splitOf: (key: string) => Split): void {
  for (const ids of groups(links)) {
    const members = catalog.images.groupMembers(ids).sort(moreOriginal)
    if (members.length < 2) continue
    const original = members[0]
    const earlier = members.find((m) => !fresh.has(m.id))
    const split = earlier?.split ?? splitOf(splitKey(original.identity, original.sha256))
    catalog.images.settleGroup(
      members.map((m) => ({
        id: m.id,
        nearDuplicateOf: m.id === original.id ? null : original.id,
        flags: [...m.flags.filter((f) => f !== FLAG), ...(m.id === original.id ? [] : [FLAG])],
        split,
      })),
    )
  }
}
