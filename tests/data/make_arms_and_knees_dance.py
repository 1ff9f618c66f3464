"""Writes arms_and_knees_dance.bvh (stdout): a hand-made 4 s dance on a CMU-style skeleton.

Arms raised in turn every 1.5 s, knees bending twice as often, a little sway, nod and
turn. Run: python tests/data/make_arms_and_knees_dance.py > tests/data/arms_and_knees_dance.bvh
"""

import math
import sys

FPS = 30
SECONDS = 4
# name, offset, children (None = End Site offset)
SKELETON = (
    "Hips",
    (0.0, 0.0, 0.0),
    [
        (
            "LeftUpLeg",
            (9.0, -4.0, 0.0),
            [
                (
                    "LeftLeg",
                    (0.0, -42.0, 0.0),
                    [("LeftFoot", (0.0, -40.0, 0.0), [("End", (0.0, -4.0, 12.0))])],
                )
            ],
        ),
        (
            "RightUpLeg",
            (-9.0, -4.0, 0.0),
            [
                (
                    "RightLeg",
                    (0.0, -42.0, 0.0),
                    [("RightFoot", (0.0, -40.0, 0.0), [("End", (0.0, -4.0, 12.0))])],
                )
            ],
        ),
        (
            "Spine",
            (0.0, 10.0, 0.0),
            [
                (
                    "Spine1",
                    (0.0, 20.0, 0.0),
                    [
                        (
                            "Neck",
                            (0.0, 18.0, 0.0),
                            [("Head", (0.0, 8.0, 0.0), [("End", (0.0, 18.0, 0.0))])],
                        ),
                        (
                            "LeftShoulder",
                            (3.0, 15.0, 0.0),
                            [
                                (
                                    "LeftArm",
                                    (14.0, 0.0, 0.0),
                                    [
                                        (
                                            "LeftForeArm",
                                            (28.0, 0.0, 0.0),
                                            [
                                                (
                                                    "LeftHand",
                                                    (25.0, 0.0, 0.0),
                                                    [("End", (9.0, 0.0, 0.0))],
                                                )
                                            ],
                                        )
                                    ],
                                )
                            ],
                        ),
                        (
                            "RightShoulder",
                            (-3.0, 15.0, 0.0),
                            [
                                (
                                    "RightArm",
                                    (-14.0, 0.0, 0.0),
                                    [
                                        (
                                            "RightForeArm",
                                            (-28.0, 0.0, 0.0),
                                            [
                                                (
                                                    "RightHand",
                                                    (-25.0, 0.0, 0.0),
                                                    [("End", (-9.0, 0.0, 0.0))],
                                                )
                                            ],
                                        )
                                    ],
                                )
                            ],
                        ),
                    ],
                )
            ],
        ),
    ],
)

order = []


def write(node, depth, out, root=False):
    name, offset, children = node
    pad = "\t" * depth
    out.append(f"{pad}{'ROOT' if root else 'JOINT'} {name}")
    out.append(pad + "{")
    out.append(f"{pad}\tOFFSET {offset[0]:.2f} {offset[1]:.2f} {offset[2]:.2f}")
    if root:
        out.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
    else:
        out.append(f"{pad}\tCHANNELS 3 Zrotation Xrotation Yrotation")
    order.append(name)
    for child in children:
        if child[0] == "End":
            out.append(f"{pad}\tEnd Site")
            out.append(pad + "\t{")
            o = child[1]
            out.append(f"{pad}\t\tOFFSET {o[0]:.2f} {o[1]:.2f} {o[2]:.2f}")
            out.append(pad + "\t}")
        else:
            write(child, depth + 1, out)
    out.append(pad + "}")


lines = ["HIERARCHY"]
write(SKELETON, 0, lines, root=True)


def pose(t):
    beat = 2 * math.pi * t / 1.5  # arms: one raise every 1.5 s
    bob = 2 * math.pi * t / 0.75  # knees: two bends a raise
    knee = 25 + 20 * math.sin(bob)  # degrees of knee bend (about X)
    hip = -0.5 * knee
    drop = 82 * (1 - math.cos(math.radians(hip))) + 40 * (1 - math.cos(math.radians(knee + hip)))
    left_arm = -60 + 100 * (0.5 - 0.5 * math.cos(beat))  # -60 (down) .. +40 (up)
    right_arm = 60 - 100 * (0.5 - 0.5 * math.cos(beat + math.pi))  # mirrored, half a beat later
    elbow = 30 * math.sin(beat)
    values = {
        "Hips": (
            6 * math.sin(beat / 2),
            90 - drop,
            0.0,
            4 * math.sin(beat),
            0.0,
            15 * math.sin(beat / 4),
        ),
        "LeftUpLeg": (0.0, hip, 0.0),
        "LeftLeg": (0.0, knee, 0.0),
        "LeftFoot": (0.0, hip * 0.6, 0.0),
        "RightUpLeg": (0.0, hip, 0.0),
        "RightLeg": (0.0, knee, 0.0),
        "RightFoot": (0.0, hip * 0.6, 0.0),
        "Spine": (-3 * math.sin(beat), 0.0, 0.0),
        "Spine1": (0.0, 0.0, 0.0),
        "Neck": (0.0, 0.0, 0.0),
        "Head": (5 * math.sin(bob), 8 * math.sin(bob), 0.0),
        "LeftShoulder": (0.0, 0.0, 0.0),
        "RightShoulder": (0.0, 0.0, 0.0),
        "LeftArm": (left_arm, 0.0, 0.0),
        "LeftForeArm": (max(0.0, elbow), 0.0, 0.0),
        "LeftHand": (0.0, 0.0, 0.0),
        "RightArm": (right_arm, 0.0, 0.0),
        "RightForeArm": (min(0.0, elbow), 0.0, 0.0),
        "RightHand": (0.0, 0.0, 0.0),
    }
    return [v for name in order for v in values[name]]


count = FPS * SECONDS
lines += ["MOTION", f"Frames: {count}", f"Frame Time: {1 / FPS:.6f}"]
for i in range(count):
    lines.append(" ".join(f"{v:.4f}" for v in pose(i / FPS)))
sys.stdout.write("\n".join(lines) + "\n")
