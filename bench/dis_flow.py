# OpenCV's DIS optical flow (Kroeger et al. 2016, preset MEDIUM): the reference bench/flow_epe.ts
# compares ours with. Never part of the product. Run with Debian's python3-opencv:
#   /usr/bin/python3 bench/dis_flow.py <folder>
# For each <name>.from.png / <name>.to.png pair in the folder, writes <name>.dis.flo (the flow from
# `from` to `to`: from(x) ≈ to(x + w), as ours) and prints one JSON line {name, seconds} (calc only,
# the best of 3 runs, after converting to grey).
import glob
import json
import os
import sys
import time

import cv2
import numpy as np


def write_flo(path, flow):
    h, w = flow.shape[:2]
    with open(path, "wb") as f:
        np.array([202021.25], "<f4").tofile(f)
        np.array([w, h], "<i4").tofile(f)
        flow.astype("<f4").tofile(f)


def main(folder):
    cv2.setNumThreads(2)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    for path in sorted(glob.glob(os.path.join(folder, "*.from.png"))):
        name = os.path.basename(path)[: -len(".from.png")]
        a = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2GRAY)
        b = cv2.cvtColor(cv2.imread(os.path.join(folder, name + ".to.png")), cv2.COLOR_BGR2GRAY)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            flow = dis.calc(a, b, None)
            best = min(best, time.perf_counter() - start)
        write_flo(os.path.join(folder, name + ".dis.flo"), flow)
        print(json.dumps({"name": name, "seconds": best}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
