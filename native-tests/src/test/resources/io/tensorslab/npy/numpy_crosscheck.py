"""NumPy side of NumpyCrossCheckTest: one process does every check, the Java test reads the report.

usage: numpy_crosscheck.py DIR
  DIR/java/manifest.tsv   files written by TensorSlab: id, descr, shape (comma-separated); each must equal np.save byte for byte
  DIR/headers.tsv         header cases: id, descr, shape
writes
  DIR/np/*.npy + *.raw    files written by NumPy and their raw payload bytes
  DIR/report.tsv          one line per check, tab-separated, first field the kind of check
"""
import io
import sys
import numpy as np

try:  # NumPy 2.x keeps the implementation private; 1.x has it in numpy.lib.format
    import numpy.lib._format_impl as fmt
except ImportError:
    import numpy.lib.format as fmt

root = sys.argv[1]
out = open(f"{root}/report.tsv", "w")


def report(*fields):
    out.write("\t".join(str(f) for f in fields) + "\n")


def shape_of(text):
    return tuple(int(d) for d in text.split(",")) if text else ()


def shape_text(shape):
    return ",".join(str(d) for d in shape)


def specials(a):
    """Counts of NaN, +Inf, -Inf and -0.0 among the float parts of a float or complex array."""
    if a.dtype.kind not in "fc":
        return "-"
    x = np.ascontiguousarray(a).reshape(-1)
    if a.dtype.kind == "c":
        x = x.view(f"<f{a.dtype.itemsize // 2}")
    return "nan=%d,posinf=%d,neginf=%d,negzero=%d" % (
        np.isnan(x).sum(), (x == np.inf).sum(), (x == -np.inf).sum(), ((x == 0) & np.signbit(x)).sum())


def saved(a, **kw):
    b = io.BytesIO()
    if kw:
        fmt.write_array(b, a, **kw)
    else:
        np.save(b, a)
    return b.getvalue()


report("numpy", np.__version__)

# 1. Files TensorSlab wrote: load with and without mmap, compare bits, compare with np.save of the same array.
for line in open(f"{root}/java/manifest.tsv"):
    ident, descr, shape = line.rstrip("\n").split("\t")
    path = f"{root}/java/{ident}.npy"
    problems = []
    raw = open(f"{root}/java/{ident}.raw", "rb").read()
    a = np.load(path)
    m = np.load(path, mmap_mode="r")
    if not isinstance(m, np.memmap):
        problems.append(f"mmap_mode='r' gave {type(m).__name__}, not a memmap")
    # NumPy reads bfloat16's '<V2' back as plain '|V2' (without ml_dtypes there is no other V2).
    loaded_descr = "|V2" if descr == "<V2" else descr
    for name, arr in (("load", a), ("mmap", m)):
        if arr.dtype.str != loaded_descr:
            problems.append(f"{name}: dtype {arr.dtype.str} != {loaded_descr}")
        if arr.shape != shape_of(shape):
            problems.append(f"{name}: shape {arr.shape} != {shape_of(shape)}")
        if arr.tobytes() != raw:
            problems.append(f"{name}: payload bits differ")
    file_bytes = open(path, "rb").read()
    if descr == "<V2":
        b = io.BytesIO()  # what np.save writes for an ml_dtypes.bfloat16 array of these bits
        fmt._write_array_header(b, {"descr": "<V2", "fortran_order": False, "shape": a.shape}, None)
        expected_file = b.getvalue() + a.tobytes()
    else:
        expected_file = saved(a)
    if expected_file != file_bytes:
        problems.append("file differs from np.save of the same array")
    del m
    report("java", ident, "ok" if not problems else "FAIL: " + "; ".join(problems), specials(a))

# 2. bfloat16 written as <V2: NumPy sees raw 2-byte values; .view(np.uint16) gives the bits.
bf = f"{root}/java/bfloat16.npy"
a = np.load(bf)
report("bf16", "dtype", a.dtype.str)
report("bf16", "bits", ",".join(str(int(v)) for v in a.view(np.uint16)))
report("bf16", "bits-mmap", ",".join(str(int(v)) for v in np.load(bf, mmap_mode="r").view(np.uint16)))
try:
    import ml_dtypes
    report("bf16", "ml_dtypes", ",".join(repr(float(v)) for v in a.view(ml_dtypes.bfloat16).astype(np.float32)))
    report("bf16", "ml_dtypes-save", saved(np.array([1.0, -2.5], dtype=ml_dtypes.bfloat16))[:64].decode("latin-1"))
except ImportError:
    report("bf16", "ml_dtypes", "absent")

# 3. Headers NumPy writes for the same dtype and shape: a real np.save where the array fits in memory,
#    otherwise the function np.save calls, with the same dict.
for line in open(f"{root}/headers.tsv"):
    ident, descr, shape = line.rstrip("\n").split("\t")
    shape = shape_of(shape)
    dt = np.dtype(descr)
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if descr == "<V2":
        # bfloat16: plain NumPy has no dtype whose descr is '<V2'; np.save of an ml_dtypes.bfloat16
        # array writes that descr through this same function.
        b = io.BytesIO()
        fmt._write_array_header(b, {"descr": "<V2", "fortran_order": False, "shape": shape}, None)
        header = b.getvalue()
        how = "_write_array_header as for ml_dtypes.bfloat16"
    elif len(shape) <= 32 and count * dt.itemsize <= 1 << 20:
        a = np.zeros(shape, dtype=dt)
        data = saved(a)
        header = data[: len(data) - a.nbytes]
        how = "np.save"
    else:
        b = io.BytesIO()
        fmt._write_array_header(b, {"descr": fmt.dtype_to_descr(dt), "fortran_order": False, "shape": shape}, None)
        header = b.getvalue()
        how = "_write_array_header"
    report("hdr", ident, how, header.hex())

# 4. Files NumPy writes, for TensorSlab to read: every fixed dtype, several shapes, versions 1.0, 2.0, 3.0.
rng = np.random.default_rng(20240501)
floats = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.25, 5e-324, 1e300, 65504.0, 3.140625]


def values(dt, n):
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(dt)
    if dt.kind in "iu":
        return rng.integers(np.iinfo(dt).min, np.iinfo(dt).max, n, dtype=dt, endpoint=True)
    if dt.kind == "f":
        with np.errstate(over="ignore", under="ignore"):
            return np.array((floats * (n // len(floats) + 1))[:n], dtype=np.float64).astype(dt)
    if dt.kind == "c":
        re = values(np.dtype(f"<f{dt.itemsize // 2}"), n)
        im = values(np.dtype(f"<f{dt.itemsize // 2}"), n)[::-1]
        return _complex(re, im, dt)
    if dt.kind in "SV":
        return np.frombuffer(rng.integers(0, 256, n * dt.itemsize, dtype=np.uint8).tobytes(), dtype=dt).copy()
    raise AssertionError(dt)


def _complex(re, im, dt):
    c = np.empty(len(re), dtype=dt)
    c.real = re
    c.imag = im
    return c


dtypes = ["|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16",
          "|S1", "|S7", "|V2", "|V3", "|V16"]
shapes = [(), (0,), (11,), (3, 4), (2, 0, 5), (1, 2, 1, 2, 1, 2, 1, 2)]
versions = {"v1": None, "v2": (2, 0), "v3": (3, 0)}
for descr in dtypes:
    dt = np.dtype(descr)
    for si, shape in enumerate(shapes):
        count = int(np.prod(shape)) if shape else 1
        a = values(dt, count).reshape(shape)
        for vname, version in versions.items():
            if version == (3, 0) and si not in (0, 2):
                continue  # v3 for a couple of shapes is enough
            name = f"{descr[1:]}_{si}_{vname}"
            data = saved(a, version=version) if version else saved(a)
            open(f"{root}/np/{name}.npy", "wb").write(data)
            open(f"{root}/np/{name}.raw", "wb").write(a.tobytes())
            report("np", name, dt.str, shape_text(shape), data[6])

# bfloat16 as np.save writes it for an ml_dtypes array: descr '<V2' and the raw bits.
bits = np.array([0x3F80, 0xC020, 0x7FC0, 0x7F80, 0xFF80, 0x8000, 0x4049], dtype="<u2")
b = io.BytesIO()
fmt.write_array_header_1_0(b, {"descr": "<V2", "fortran_order": False, "shape": bits.shape})
open(f"{root}/np/bfloat16_lt_V2.npy", "wb").write(b.getvalue() + bits.tobytes())
check = np.load(f"{root}/np/bfloat16_lt_V2.npy")
report("np-bf16", "numpy-loads-as", check.dtype.str, ",".join(str(int(v)) for v in check.view(np.uint16)))
open(f"{root}/np/bfloat16_V2.npy", "wb").write(saved(bits.view("V2")))

# Files NumPy writes that TensorSlab must refuse, each for its own reason.
rejects = {
    "fortran": np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)),
    "bigendian_f4": np.arange(3, dtype=">f4"),
    "bigendian_i8": np.arange(3, dtype=">i8"),
    "object": np.array([1, "a", None], dtype=object),
    "unicode": np.array(["abc", "de"]),
    "structured": np.zeros(3, dtype=[("a", "<f4"), ("b", "<i8")]),
    "datetime": np.array(["2020-01-01"], dtype="datetime64[D]"),
}
for name, a in rejects.items():
    np.save(f"{root}/np/reject_{name}.npy", a, allow_pickle=True)
full = saved(np.arange(10, dtype="<f8"))
open(f"{root}/np/reject_short.npy", "wb").write(full[:-3])
report("done")
out.close()
