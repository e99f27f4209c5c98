import torch


# a small CNN on the frames
def train(epochs=5):
    model = torch.nn.Linear(10, 1)
    return model
