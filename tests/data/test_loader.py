"""Tests of mlplab.data.loader.DataLoader: batching, seeded shuffling, exact epochs, no copies."""

import tracemalloc

import numpy
import pytest

from mlplab import Generator, Tensor
from mlplab.data import DataLoader, scale_to_unit
from mlplab.nn import Linear


def collect(loader):
    return [(xb.numpy().copy(), yb.numpy().copy()) for xb, yb in loader]


def data(n=10, features=2):
    x = numpy.arange(n * features, dtype=numpy.float64).reshape(n, features)
    return x, numpy.arange(n)


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (9, 3, True, [3, 3, 3]),
        (10, 10, False, [10]),
        (10, 32, False, [10]),
        (10, 32, True, []),
        (0, 4, False, []),
    ],
)
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    x, y = data(n)
    loader = DataLoader(x, y, batch_size=batch_size, drop_last=drop_last)
    batches = collect(loader)
    assert [len(xb) for xb, _ in batches] == sizes
    assert len(loader) == len(sizes)


def test_unshuffled_order_and_tensor_types():
    x, y = data(7)
    batches = list(DataLoader(x, y, batch_size=3))
    xb, yb = batches[0]
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert not xb.requires_grad
    assert xb.dtype == numpy.float32 and yb.dtype == numpy.int64
    numpy.testing.assert_array_equal(numpy.concatenate([b[0].numpy() for b in batches]), x)
    numpy.testing.assert_array_equal(numpy.concatenate([b[1].numpy() for b in batches]), y)


def test_shuffle_visits_each_sample_once_per_epoch_in_a_new_order():
    x, y = data(50)
    loader = DataLoader(x, y, batch_size=8, shuffle=True, generator=Generator(0))
    first = numpy.concatenate([yb for _, yb in collect(loader)])
    second = numpy.concatenate([yb for _, yb in collect(loader)])
    assert sorted(first.tolist()) == list(range(50)) == sorted(second.tolist())
    assert not numpy.array_equal(first, second)
    assert not numpy.array_equal(first, numpy.arange(50))
    for xb, yb in collect(loader):  # inputs stay paired with their targets
        numpy.testing.assert_array_equal(xb, x[yb].astype(numpy.float32))


def test_same_seed_same_batches():
    x, y = data(40)
    runs = [
        [collect(DataLoader(x, y, 6, shuffle=True, generator=Generator(9))) for _ in range(1)]
        for _ in range(2)
    ]
    for (xa, ya), (xb, yb) in zip(runs[0][0], runs[1][0], strict=True):
        numpy.testing.assert_array_equal(xa, xb)
        numpy.testing.assert_array_equal(ya, yb)


def test_restoring_the_generator_state_at_an_epoch_boundary_repeats_the_epoch():
    x, y = data(30)
    generator = Generator(2)
    loader = DataLoader(x, y, 4, shuffle=True, generator=generator)
    collect(loader)  # epoch 0
    state = generator.get_state()
    epoch1 = collect(loader)
    generator.set_state(state)
    again = collect(loader)
    for (_, ya), (_, yb) in zip(epoch1, again, strict=True):
        numpy.testing.assert_array_equal(ya, yb)


def test_permutation_is_drawn_when_the_epoch_starts():
    x, y = data(30)
    generator = Generator(2)
    loader = DataLoader(x, y, 4, shuffle=True, generator=generator)
    before = generator.get_state()
    iterator = iter(loader)  # no batch requested yet
    assert generator.get_state() != before
    # An interrupted epoch does not shift the next one: it was paid for at iter().
    next(iterator)
    after_start = generator.get_state()
    del iterator
    reference = Generator(2)
    reference.permutation(30)
    assert after_start == reference.get_state()


def test_no_copy_of_the_whole_data_set_per_epoch():
    x = numpy.ones((20000, 100), dtype=numpy.float32)  # 8 MB
    y = numpy.zeros(20000, dtype=numpy.int64)
    loader = DataLoader(x, y, batch_size=100, shuffle=True, generator=Generator(0))
    tracemalloc.start()
    try:
        for _ in loader:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # a permutation (160 kB) and a batch (40 kB), never 8 MB
    xb, _ = next(iter(DataLoader(x, y, batch_size=100)))
    assert numpy.shares_memory(xb.numpy(), x)  # unshuffled float32 batches are views


def test_dtypes_of_targets_and_transform():
    images = numpy.full((6, 28, 28), 255, dtype=numpy.uint8)
    targets = numpy.ones((6, 2), dtype=numpy.float64)
    raw = next(iter(DataLoader(images, targets, 4)))
    assert raw[0].dtype == numpy.float32 and raw[1].dtype == numpy.float32
    scaled, _ = next(iter(DataLoader(images, targets, 4, transform=scale_to_unit)))
    assert scaled.dtype == numpy.float32 and float(scaled.numpy().max()) == 1.0


def test_integer_images_become_float32_without_rescaling():
    images = numpy.linspace(0, 255, 6 * 4 * 4).astype(numpy.uint8).reshape(6, 4, 4)
    batches = collect(DataLoader(images, numpy.arange(6), 4))
    x = numpy.concatenate([xb for xb, _ in batches])
    assert x.dtype == numpy.float32 and x.shape == (6, 4, 4)
    numpy.testing.assert_array_equal(x, images.astype(numpy.float32))
    assert x.max() == 255.0  # not 1.0: scaling is the transform's job


@pytest.mark.parametrize("dtype", [numpy.uint8, numpy.int8, numpy.int16, numpy.int32, numpy.int64])
def test_integer_arrays_of_two_or_more_axes_become_float32(dtype):
    x = numpy.full((5, 3), -2 if numpy.dtype(dtype).kind == "i" else 7, dtype=dtype)
    xb, yb = next(iter(DataLoader(x, x, 5)))
    assert xb.dtype == numpy.float32 and yb.dtype == numpy.float32  # targets follow the same rule
    numpy.testing.assert_array_equal(xb.numpy(), x.astype(numpy.float32))


@pytest.mark.parametrize("dtype", [numpy.uint8, numpy.int16, numpy.int32, numpy.uint32])
def test_one_dimensional_integer_labels_become_int64(dtype):
    labels = numpy.array([0, 3, 1, 2], dtype=dtype)
    _, yb = next(iter(DataLoader(numpy.zeros((4, 2), numpy.float32), labels, 4)))
    assert yb.dtype == numpy.int64
    numpy.testing.assert_array_equal(yb.numpy(), [0, 3, 1, 2])


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
def test_floats_of_any_precision_become_float32(dtype):
    x = numpy.linspace(0, 1, 8, dtype=dtype).reshape(4, 2)
    xb, yb = next(iter(DataLoader(x, x[:, 0], 4)))
    assert xb.dtype == numpy.float32 and yb.dtype == numpy.float32


def test_bool_arrays_are_kept():
    mask = numpy.eye(4, dtype=bool)
    xb, yb = next(iter(DataLoader(mask, mask[:, 0], 4)))
    assert xb.dtype == bool and yb.dtype == bool


def test_a_transforms_integer_output_follows_the_same_rules():
    images = numpy.full((4, 2, 2), 9, dtype=numpy.uint8)
    xb, _ = next(iter(DataLoader(images, numpy.arange(4), 4, transform=lambda b: b.astype("i4"))))
    assert xb.dtype == numpy.float32 and float(xb.numpy().max()) == 9.0


def test_raw_image_batches_feed_a_float32_linear_layer():
    images = numpy.full((4, 2, 3), 255, dtype=numpy.uint8)
    layer = Linear(6, 2, generator=Generator(0))
    xb, _ = next(iter(DataLoader(images, numpy.arange(4), 4)))
    assert layer(xb.reshape(4, 6)).dtype == numpy.float32


def test_a_float64_loader_feeds_a_float64_model():
    images = numpy.full((4, 2, 3), 255, dtype=numpy.uint8)
    loader = DataLoader(images.reshape(4, 6), numpy.ones((4, 1), numpy.float32), 4, dtype="float64")
    xb, yb = next(iter(loader))
    assert xb.dtype == numpy.float64 and yb.dtype == numpy.float64
    assert float(xb.numpy().max()) == 255.0
    assert Linear(6, 2, dtype="float64")(xb).dtype == numpy.float64
    labels = next(iter(DataLoader(images, numpy.arange(4), 4, dtype="float64")))[1]
    assert labels.dtype == numpy.int64  # labels stay integers whatever the float dtype


def test_tensors_are_accepted():
    x, y = data(5)
    loader = DataLoader(Tensor(x), Tensor(y), batch_size=2)
    assert [len(xb) for xb, _ in loader] == [2, 2, 1]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": True}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, ValueError, "batch_size"),
        ({"transform": 3}, TypeError, "transform"),
        ({"dtype": "int32"}, ValueError, "invalid dtype 'int32'; use 'float32' or 'float64'"),
        ({"dtype": "float16"}, ValueError, "invalid dtype 'float16'"),
        ({"dtype": "nonsense"}, ValueError, "invalid dtype 'nonsense'"),
        ({"dtype": None}, ValueError, "invalid dtype None"),
    ],
)
def test_invalid_arguments(kwargs, error, message):
    x, y = data(4)
    with pytest.raises(error, match=message):
        DataLoader(x, y, **kwargs)


def test_length_mismatch():
    with pytest.raises(ValueError, match="x has 4 samples but y has 3"):
        DataLoader(numpy.zeros((4, 2)), numpy.zeros(3), batch_size=2)
