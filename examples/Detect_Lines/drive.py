"""Serve steering predictions to the simulator."""

import argparse

# The simulator connects on this port.
PORT = 4567
# Where the simulator saved the recordings on the lab laptop.
RECORDINGS = r"C:\Users\student\Desktop\Detect_Lines\data"


def main():
    parser = argparse.ArgumentParser(description="Remote driving")
    parser.add_argument("model", help="path to model.h5")
    args = parser.parse_args()
    print(f"loading {args.model} on port {PORT}")


if __name__ == "__main__":
    main()
