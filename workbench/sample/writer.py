"""Writing FOCUS frames to Parquet/CSV and the business tables to CSV, byte-for-byte repeatable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.schema import FOCUS_COLUMNS, MONEY, QUANTITY, TIME

DECIMAL = pa.decimal128(38, 10)
TIMESTAMP = pa.timestamp("us", tz="UTC")


def decimal_array(units: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """int64 amounts in units of 1e-10 -> DECIMAL(38, 10) without any float on the way.

    A decimal128 value is the little-endian 128-bit integer of the unscaled amount, so the
    int64 is its low word and the sign extension its high word.
    """
    units = np.ascontiguousarray(units, dtype="<i8")
    words = np.empty(2 * len(units), dtype="<i8")
    words[0::2] = units
    words[1::2] = np.where(units < 0, -1, 0)
    bitmap = None
    if valid is not None and not valid.all():
        bitmap = pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(DECIMAL, len(units), [bitmap, pa.py_buffer(words.tobytes())])


def _text(s: pd.Series) -> pa.Array:
    obj = s.astype(object)
    return pa.array(obj.where(s.notna(), None).tolist(), pa.string())


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The FOCUS columns of `frame` (money as int units) as an Arrow table with FOCUS types."""
    arrays, fields = [], []
    for col, kind in FOCUS_COLUMNS.items():
        s = frame[col]
        if kind == MONEY:
            valid = s.notna().to_numpy()
            arr = decimal_array(s.fillna(0).to_numpy(dtype=np.int64), valid)
        elif kind == TIME:
            arr = pa.array(s.to_numpy(dtype="datetime64[us]"), pa.timestamp("us")).cast(TIMESTAMP)
        elif kind == QUANTITY:
            arr = pa.array(s.to_numpy(dtype=np.float64), pa.float64(), from_pandas=True)
        else:
            arr = _text(s)
        arrays.append(arr)
        fields.append(pa.field(col, arr.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet(frame: pd.DataFrame, path) -> None:
    pq.write_table(to_arrow(frame), path, compression="zstd", compression_level=9,
                   row_group_size=256_000, write_statistics=True)


def write_csv(frame: pd.DataFrame, path) -> None:
    """Business tables: plain CSV, UTF-8, `\\n` line ends, no index."""
    frame.to_csv(path, index=False, lineterminator="\n")
