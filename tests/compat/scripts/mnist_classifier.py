# A feed-forward classifier in the style of the popular MNIST examples (log_softmax + nll_loss,
# SGD with momentum, a StepLR schedule, argmax/eq accuracy), on the 8x8 digits.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(1)
digits = load_digits()
X = torch.tensor((digits.data / 16.0).astype(np.float32))
Y = torch.tensor(digits.target, dtype=torch.long)
train_set = TensorDataset(X[:1500], Y[:1500])
test_set = TensorDataset(X[1500:], Y[1500:])
train_loader = DataLoader(train_set, batch_size=50)
test_loader = DataLoader(test_set, batch_size=100)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 -- the examples' spelling
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)
        with torch.no_grad():
            for i, layer in enumerate([self.fc1, self.fc2, self.fc3]):
                n = layer.weight.numel()
                values = torch.cos(torch.arange(n, dtype=torch.float32) * (0.5 + i)) * 0.15
                layer.weight.copy_(values.view(layer.weight.shape))
                layer.bias.zero_()

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return F.log_softmax(x, dim=1)


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):  # noqa: B007
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
    print(f"Train Epoch: {epoch}\tLoss: {loss.item():.6f}")
    return loss.item()


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(
        f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)}"
    )
    return test_loss, correct


device = torch.device("cpu")
model = Net().to(device)
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
for epoch in range(1, 9):
    last = train(model, device, train_loader, optimizer, epoch)
    test_loss, correct = test(model, device, test_loader)
    scheduler.step()
print("final", last, test_loss, correct, optimizer.param_groups[0]["lr"])
