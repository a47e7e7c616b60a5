// The head-pose estimate on landmark sets of a model head turned and tilted by known angles: the
// sign, the roll invariance and the frontal/turned verdict.
import { describe, expect, it } from 'vitest'
import { estimateYaw, headPose, TRAINED_YAW } from '../../src/engine/faces/headPose'

/**
 * 68 points of a model head (x right, y down, z towards the camera): the jaw's ends at ±1, the
 * nose tip 1 in front, the outer eye corners; the rest unused by the estimate. Turned by `yaw`
 * about the vertical axis, tilted by `roll` in the image, scaled and moved into a photo.
 */
function landmarks(yaw: number, roll = 0): { x: number; y: number }[] {
  const points = Array.from({ length: 68 }, () => [0, 0, 0])
  points[0] = [-1, 0, 0]
  points[16] = [1, 0, 0]
  points[30] = [0, 0.2, 1]
  points[36] = [-0.6, -0.4, 0.6]
  points[45] = [0.6, -0.4, 0.6]
  const [a, r] = [(yaw * Math.PI) / 180, (roll * Math.PI) / 180]
  return points.map(([x, y, z]) => {
    const turned = x * Math.cos(a) + z * Math.sin(a)
    return { x: 400 + 90 * (turned * Math.cos(r) - y * Math.sin(r)), y: 300 + 90 * (turned * Math.sin(r) + y * Math.cos(r)) }
  })
}

describe('headPose', () => {
  it('reads the yaw of a turned head, with its sign, whatever its tilt', () => {
    for (const yaw of [0, 15, -15, 40, -40, 60]) {
      for (const roll of [0, 12, -20]) expect(estimateYaw(landmarks(yaw, roll)), `yaw ${yaw} roll ${roll}`).toBeCloseTo(yaw, 0)
    }
  })

  it('calls a face turned only past the trained range', () => {
    expect(headPose(landmarks(TRAINED_YAW - 5))).toEqual({ yaw: TRAINED_YAW - 5, turned: false })
    expect(headPose(landmarks(-(TRAINED_YAW + 10)))).toEqual({ yaw: -(TRAINED_YAW + 10), turned: true })
    expect(() => estimateYaw(landmarks(0).slice(0, 5))).toThrow(/68 landmarks/)
  })
})
