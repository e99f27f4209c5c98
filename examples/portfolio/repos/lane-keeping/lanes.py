import cv2


def edges(image):
    return cv2.Canny(image, 50, 150)
