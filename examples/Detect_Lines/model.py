"""Behavioural-cloning network (NVIDIA architecture) on the driving log."""

import csv
import os

import numpy as np

from utils.preprocess import crop, normalise

# Steering correction applied to the side cameras.
CORRECTION = 0.2


def load_samples(log_path):
    """Read the driving log: one row per frame, three cameras per row."""
    with open(log_path) as handle:
        return list(csv.reader(handle))[1:]


def build_model():
    from keras.layers import Conv2D, Dense, Flatten, Lambda
    from keras.models import Sequential

    model = Sequential()
    model.add(Lambda(normalise, input_shape=(160, 320, 3)))
    model.add(Conv2D(24, (5, 5), strides=(2, 2), activation="relu"))
    model.add(Conv2D(36, (5, 5), strides=(2, 2), activation="relu"))
    model.add(Flatten())
    model.add(Dense(100))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="adam")
    return model


if __name__ == "__main__":
    samples = load_samples(os.path.join("data", "driving_log.csv"))
    images = np.array([crop(row[0]) for row in samples])
    angles = np.array([float(row[3]) for row in samples])
    build_model().fit(images, angles, validation_split=0.2, epochs=5)
