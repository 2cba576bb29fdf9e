"""mlplab.data: data sets by name, the IDX format, batching and preprocessing helpers."""

from mlplab.data.cache import cache_dir
from mlplab.data.dataset import Dataset
from mlplab.data.datasets import available_datasets, dataset_options, dataset_task, load_dataset
from mlplab.data.download import download_file
from mlplab.data.errors import DatasetNotFoundError, DownloadError, IDXError, IntegrityError
from mlplab.data.idx import IDXRecord, decode_idx, encode_idx, read_idx, read_idx_record, write_idx
from mlplab.data.loader import DataLoader
from mlplab.data.transforms import (
    flatten_images,
    one_hot,
    scale_to_unit,
    standardization,
    standardize,
    train_val_split,
)

__all__ = [
    "DataLoader",
    "Dataset",
    "DatasetNotFoundError",
    "DownloadError",
    "IDXError",
    "IDXRecord",
    "IntegrityError",
    "available_datasets",
    "cache_dir",
    "dataset_options",
    "dataset_task",
    "decode_idx",
    "download_file",
    "encode_idx",
    "flatten_images",
    "load_dataset",
    "one_hot",
    "read_idx",
    "read_idx_record",
    "scale_to_unit",
    "standardization",
    "standardize",
    "train_val_split",
    "write_idx",
]
