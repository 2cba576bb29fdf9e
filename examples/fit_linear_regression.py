"""Fit y = a*x1 + b*x2 + c*x3 + d by gradient descent, with gradients from mlplab's autograd."""

import numpy as np

import mlplab

TRUE_WEIGHTS = np.array([2.0, -3.0, 0.5], dtype=np.float32)
TRUE_BIAS = 1.5


def make_data(generator, n=1000):
    """Inputs x (n, 3) and targets y = x @ w + b + noise."""
    x = generator.normal((n, 3))
    noise = generator.normal((n,), std=0.1)
    return mlplab.tensor(x), mlplab.tensor(x @ TRUE_WEIGHTS + TRUE_BIAS + noise)


def main(steps=200, lr=0.1):
    """Train and print the learned parameters beside the true ones."""
    generator = mlplab.manual_seed(0)
    x, y = make_data(generator)
    weights = mlplab.zeros(3, requires_grad=True)
    bias = mlplab.zeros(1, requires_grad=True)
    for step in range(steps):
        loss = ((x @ weights + bias - y) ** 2).mean()
        weights.grad = bias.grad = None
        loss.backward()
        with mlplab.no_grad():
            weights.data -= lr * weights.grad
            bias.data -= lr * bias.grad
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.5f}")
    for name, learned, true in zip("abc", weights.data, TRUE_WEIGHTS, strict=True):
        print(f"{name}: learned {learned:+.4f}   true {true:+.4f}")
    print(f"d: learned {bias.data[0]:+.4f}   true {TRUE_BIAS:+.4f}")


if __name__ == "__main__":
    main()
