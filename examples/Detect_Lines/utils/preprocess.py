"""Image preprocessing shared by training and driving."""


def crop(image, top=60, bottom=25):
    # Keep the road, drop the sky and the bonnet.
    return image[top:-bottom]


def normalise(image):
    return image / 127.5 - 1.0
