"""Serve steering predictions to the simulator."""

import argparse

# The simulator connects on this port.
PORT = 4567


def main():
    parser = argparse.ArgumentParser(description="Remote driving")
    parser.add_argument("model", help="path to model.h5")
    args = parser.parse_args()
    print(f"loading {args.model} on port {PORT}")


if __name__ == "__main__":
    main()
