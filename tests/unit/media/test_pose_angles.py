"""Joint angles from landmarks: what the dance fidelity bench and tests measure."""

from __future__ import annotations

import math

import numpy as np

from reelvault.media.pose import ANGLES, joint_angles


def test_joint_angles_are_unsigned_radians_per_frame() -> None:
    points = np.zeros((2, 33, 3), np.float32)
    # Left elbow (11, 13, 15): shoulder above the elbow, wrist to its right, then straight.
    points[:, 11, :2] = (100, 0)
    points[:, 13, :2] = (100, 100)
    points[0, 15, :2] = (200, 100)  # a right angle
    points[1, 15, :2] = (100, 200)  # arm straight
    angles = joint_angles(points)
    assert set(angles) == set(ANGLES)
    assert np.allclose(angles["left elbow"], [math.pi / 2, math.pi], atol=1e-6)
    points[0, 15, :2] = (0, 100)  # the mirror image bends the same amount: unsigned
    assert math.isclose(joint_angles(points)["left elbow"][0], math.pi / 2, abs_tol=1e-6)


def test_a_joint_with_no_length_has_no_angle() -> None:
    points = np.zeros((1, 33, 3), np.float32)  # every joint at one place
    assert np.isnan(joint_angles(points)["right knee"]).all()
