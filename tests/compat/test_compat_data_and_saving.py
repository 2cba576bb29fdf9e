"""mlplab.utils.data beside torch.utils.data, and mlplab.save/load of state and checkpoint dicts."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import mlplab
import mlplab.utils.data as mdata
from mlplab import nn

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10) % 3


class Squares:
    """A map-style data set written as PyTorch tutorials write one (no base class needed)."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.lib.tensor([float(i), float(i * i)]), i % 2


def _batches(loader):
    return [[np.asarray(part) for part in batch] for batch in loader]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 16])
def test_tensor_dataset_batches_match_torch_in_order(batch_size, drop_last):
    ours = mdata.DataLoader(
        mdata.TensorDataset(mlplab.tensor(X), mlplab.tensor(Y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    theirs = tdata.DataLoader(
        tdata.TensorDataset(torch.tensor(X), torch.tensor(Y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    for a, b in zip(_batches(ours), _batches(theirs), strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
    assert isinstance(ours.dataset, mdata.TensorDataset)


def test_a_custom_dataset_collates_as_torchs_default_collate():
    ours = _batches(mdata.DataLoader(Squares(mlplab, 7), batch_size=3))
    theirs = _batches(tdata.DataLoader(Squares(torch, 7), batch_size=3))
    for a, b in zip(ours, theirs, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_shuffle_visits_every_sample_once_and_is_seeded():
    dataset = mdata.TensorDataset(mlplab.tensor(X), mlplab.tensor(Y))
    first = [
        b[1].numpy()
        for b in mdata.DataLoader(
            dataset, batch_size=4, shuffle=True, generator=mlplab.Generator(5)
        )
    ]
    again = [
        b[1].numpy()
        for b in mdata.DataLoader(
            dataset, batch_size=4, shuffle=True, generator=mlplab.Generator(5)
        )
    ]
    assert sorted(np.concatenate(first).tolist()) == sorted(Y.tolist())
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_random_split_partitions_like_torchs():
    dataset = Squares(mlplab, 10)
    parts = mdata.random_split(dataset, [7, 3], generator=mlplab.Generator(0))
    assert [len(p) for p in parts] == [
        len(p) for p in tdata.random_split(Squares(torch, 10), [7, 3])
    ]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fractions = mdata.random_split(dataset, [0.75, 0.25])
    assert [len(p) for p in fractions] == [
        len(p) for p in tdata.random_split(Squares(torch, 10), [0.75, 0.25])
    ]
    assert isinstance(parts[0][0][0], mlplab.Tensor)
    with pytest.raises(ValueError, match="does not equal the length"):
        mdata.random_split(dataset, [5, 3])


def test_bad_data_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="Size mismatch"):
        mdata.TensorDataset(mlplab.zeros(3), mlplab.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        mdata.DataLoader(Squares(mlplab, 3), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        mdata.DataLoader(object())


# ----------------------------------------------------------------------------- saving
def test_a_state_dict_round_trips_and_loads_into_a_new_model(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "weights.pt"
    mlplab.save(model.state_dict(), path)
    loaded = mlplab.load(path, weights_only=True, map_location="cpu")
    assert list(loaded) == list(model.state_dict())
    for name, value in model.state_dict().items():
        assert isinstance(loaded[name], mlplab.Tensor)
        assert loaded[name].numpy().tobytes() == value.numpy().tobytes()
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(loaded)
    x = mlplab.randn(5, 3)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    assert path.read_bytes()[:1] != b"\x80"  # never a pickle


def test_a_checkpoint_dict_round_trips_and_resumes_the_optimizer_exactly(tmp_path):
    def make():
        mlplab.manual_seed(0)
        model = nn.Linear(3, 1)
        return model, mlplab.optim.Adam(model.parameters(), lr=0.01)

    def step(model, optimizer):
        optimizer.zero_grad()
        loss = (model(mlplab.ones(4, 3)) ** 2).mean()
        loss.backward()
        optimizer.step()

    model, optimizer = make()
    for _ in range(3):
        step(model, optimizer)
    path = tmp_path / "checkpoint.pt"
    mlplab.save(
        {"epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": 0.5},
        path,
    )
    step(model, optimizer)
    checkpoint = mlplab.load(path)
    assert checkpoint["epoch"] == 3 and checkpoint["loss"] == 0.5
    resumed, resumed_optimizer = make()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    step(resumed, resumed_optimizer)
    for a, b in zip(model.parameters(), resumed.parameters(), strict=True):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_tensors_lists_and_models_save_too(tmp_path):
    mlplab.save(mlplab.tensor([1.0, 2.0]), tmp_path / "t.pt")
    np.testing.assert_array_equal(mlplab.load(tmp_path / "t.pt").numpy(), [1.0, 2.0])
    mlplab.save([1, "two", (3.0, None)], tmp_path / "l.pt")
    assert mlplab.load(tmp_path / "l.pt") == [1, "two", (3.0, None)]
    model = nn.Linear(2, 3)
    mlplab.save(model, tmp_path / "m.safetensors")  # a model file, as always
    assert isinstance(mlplab.load(tmp_path / "m.safetensors"), nn.Linear)
    with pytest.raises(TypeError, match="cannot save"):
        mlplab.save({"f": print}, tmp_path / "bad.pt")
    with pytest.raises(TypeError, match="map_location"):
        mlplab.load(tmp_path / "t.pt", map_location={"cuda:0": "cpu"})
