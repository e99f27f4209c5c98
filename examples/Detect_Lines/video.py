"""Turn a folder of frames into a video."""

import sys


def frames(folder):
    return sorted(folder)


if __name__ == "__main__":
    print(frames(sys.argv[1:]))
