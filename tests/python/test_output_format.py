"""Format checks of an aimarket trajectory file, as users read it: with h5py, with xarray
(engine="h5netcdf") and, where installed, with netCDF-C through netCDF4. The layout is
documented in docs/OUTPUT.md and named in src/output/output_schema.hpp.

The checks are plain functions of a file path, so they run on any trajectory file:
  * test_program_output: on a small run of the program (`--aimarket PATH`, via the
    `run_aimarket` fixture of conftest.py); skipped when no program or no config is available.
  * test_sample_file: on the file named by the environment variable AIMARKET_SAMPLE_TRAJECTORY,
    e.g. the sample the C++ writer test leaves with AIMARKET_KEEP_SAMPLE=PATH.
"""

import os
import pathlib

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")
try:
    import netCDF4  # optional: netCDF-C's own reading of the file
except ImportError:
    netCDF4 = None

REPO = pathlib.Path(__file__).resolve().parents[2]

# Mirrors src/model/dimensions.hpp and src/output/output_schema.hpp.
SEGMENTS = ["consumer", "enterprise", "finance", "healthcare", "legal", "manufacturing"]
REGIONS = ["US", "KR", "EU", "CN", "ROW"]
LAYERS = ["service"]
DATA_VARIABLES = {
    # name: (dimensions, dtype, units)
    "customers": (("replicate", "step", "segment", "firm"), np.int32, "agents"),
    "adopters": (("replicate", "step", "segment"), np.int32, "agents"),
    "market_share": (("replicate", "step", "layer", "firm"), np.float64, "1"),
    "hhi": (("replicate", "step", "layer"), np.float64, "1"),
}
STRING_ATTRS = ["title", "config", "config_path", "program_version", "git_revision",
                "backend", "start_month", "created", "status"]
INT_ATTRS = ["steps_requested", "record_every", "replicates", "customers_per_replicate",
             "steps_recorded"]


def month_after(start, months):
    """'YYYY-MM' of the month `months` after `start` ('YYYY-MM')."""
    year, month = (int(part) for part in start.split("-"))
    index = year * 12 + (month - 1) + int(months)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def check_with_h5py(path, status="complete"):
    """Raw HDF5 view: types, shapes, dimension scales, attributes, and the model's identities.
    Returns (replicates, steps, firms)."""
    with h5py.File(path, "r") as f:
        attrs = f.attrs
        for name in STRING_ATTRS:
            assert isinstance(attrs[name], str), f"attribute {name} reads as {type(attrs[name])}"
        for name in INT_ATTRS:
            assert np.issubdtype(np.asarray(attrs[name]).dtype, np.integer), name
        assert np.asarray(attrs["seed"]).dtype == np.uint64
        assert isinstance(float(attrs["customer_weight"]), float)
        assert attrs["title"] == "aimarket trajectory"
        assert attrs["status"] == status
        assert attrs["created"].endswith("Z") and attrs["created"][10] == "T"

        replicates = int(attrs["replicates"])
        steps = int(attrs["steps_recorded"])
        firms = f["firm"].shape[0]

        # Coordinates: dimension scales, the step one unlimited.
        for name in ["replicate", "step", "firm", "segment", "region", "layer"]:
            assert h5py.h5ds.is_scale(f[name].id), f"{name} is not a dimension scale"
        assert f["step"].maxshape == (None,)
        assert f["replicate"][:].tolist() == list(range(replicates))
        assert f["firm"][:].tolist() == list(range(firms))
        assert f["step"].dtype == np.int64 and f["step"].shape == (steps,)
        assert np.all(np.diff(f["step"][:]) > 0)
        assert f["segment"].asstr()[:].tolist() == SEGMENTS
        assert f["region"].asstr()[:].tolist() == REGIONS
        assert f["layer"].asstr()[:].tolist() == LAYERS
        expected_dates = [month_after(attrs["start_month"], s) for s in f["step"][:]]
        assert f["date"].asstr()[:].tolist() == expected_dates
        for name in ["firm_name", "firm_archetype", "firm_region"]:
            values = f[name].asstr()[:].tolist()
            assert len(values) == firms and all(isinstance(v, str) for v in values), name
        assert set(f["firm_region"].asstr()[:]) <= set(REGIONS)

        # Data variables: type, shape, attached scales, attributes.
        sizes = {"replicate": replicates, "step": steps, "firm": firms,
                 "segment": len(SEGMENTS), "layer": len(LAYERS)}
        for name, (dims, dtype, units) in DATA_VARIABLES.items():
            dataset = f[name]
            assert dataset.dtype == dtype, name
            assert dataset.shape == tuple(sizes[d] for d in dims), name
            assert dataset.maxshape[1] is None, name
            for axis, dim in enumerate(dims):
                scales = list(dataset.dims[axis].values())
                assert [s.name for s in scales] == [f"/{dim}"], f"{name} axis {axis}"
            assert dataset.attrs["units"] == units
            assert isinstance(dataset.attrs["long_name"], str)
            assert dataset.compression == "gzip" and dataset.shuffle, name
            # One step per chunk (each chunk written whole, once); small markets put every
            # replicate of the step in one chunk.
            assert dataset.chunks[1] == 1, name
            assert 1 <= dataset.chunks[0] <= sizes["replicate"], name
        assert float(f["customers"].attrs["customer_weight"]) == float(attrs["customer_weight"])

        # Identities of the recorded state.
        customers = f["customers"][:]
        adopters = f["adopters"][:]
        shares = f["market_share"][:, :, 0, :]
        hhi = f["hhi"][:, :, 0]
        assert np.array_equal(customers.sum(axis=3), adopters)
        total = adopters.sum(axis=2)
        has_adopters = total > 0
        np.testing.assert_allclose(shares.sum(axis=2)[has_adopters], 1.0, rtol=1e-9)
        np.testing.assert_allclose(
            shares, customers.sum(axis=2) / np.maximum(total, 1)[:, :, None], rtol=1e-9)
        np.testing.assert_allclose(hhi, (shares ** 2).sum(axis=2), rtol=1e-9, atol=1e-15)
        assert np.all((hhi >= 0) & (hhi <= 1))
    return replicates, steps, firms


def check_with_xarray(path, status="complete"):
    """The netCDF view through h5netcdf: named dimensions, label coordinates, dates."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        replicates = int(ds.attrs["replicates"])
        steps = int(ds.attrs["steps_recorded"])
        firms = ds.sizes["firm"]
        assert dict(ds.sizes) == {"replicate": replicates, "step": steps, "firm": firms,
                                  "segment": len(SEGMENTS), "region": len(REGIONS),
                                  "layer": len(LAYERS)}
        assert ds.attrs["status"] == status
        assert ds.attrs["title"] == "aimarket trajectory"

        # Label coordinates: select by name.
        assert ds["segment"].values.tolist() == SEGMENTS
        assert ds["region"].values.tolist() == REGIONS
        assert ds["layer"].values.tolist() == LAYERS
        consumer = ds["customers"].sel(segment="consumer")
        assert consumer.dims == ("replicate", "step", "firm")
        assert np.array_equal(consumer.values, ds["customers"].values[:, :, 0, :])
        service = ds["market_share"].sel(layer="service")
        assert service.dims == ("replicate", "step", "firm")

        for name, (dims, dtype, units) in DATA_VARIABLES.items():
            assert ds[name].dims == dims, name
            assert ds[name].dtype == dtype, name
            assert ds[name].attrs["units"] == units, name

        # Dates and the firm table come along as coordinates of the data variables.
        expected_dates = [month_after(ds.attrs["start_month"], s) for s in ds["step"].values]
        assert ds["date"].values.tolist() == expected_dates
        assert "date" in ds["hhi"].coords
        for name in ["firm_name", "firm_archetype", "firm_region"]:
            assert name in ds["customers"].coords, name
            assert ds[name].dims == ("firm",)
        assert ds["replicate"].values.tolist() == list(range(replicates))

        # A typical analysis: consumer-segment share of each firm, by name, at the last date.
        if steps > 0:
            last = ds["customers"].sel(segment="consumer").isel(step=-1).sum("replicate")
            by_name = last.assign_coords(firm=ds["firm_name"].values)
            assert by_name.sizes["firm"] == firms


def check_with_netcdf4(path):
    """netCDF-C reads the file as netCDF-4, where the netCDF4 module is installed."""
    if netCDF4 is None:
        return
    with netCDF4.Dataset(path) as nc:
        assert nc.dimensions["step"].isunlimited()
        assert nc.variables["customers"].dimensions == ("replicate", "step", "segment", "firm")
        assert list(nc.variables["segment"][:]) == SEGMENTS
        assert len(nc.dimensions["step"]) == int(nc.getncattr("steps_recorded"))


def test_sample_file():
    path = os.environ.get("AIMARKET_SAMPLE_TRAJECTORY")
    if not path:
        pytest.skip("set AIMARKET_SAMPLE_TRAJECTORY to a trajectory file to check it")
    _, steps, _ = check_with_h5py(path)
    assert steps > 0
    check_with_xarray(path)
    check_with_netcdf4(path)


def find_config():
    """A config of the repository to run: the one named by AIMARKET_TEST_CONFIG, else the
    first of configs/ whose name says baseline, else any."""
    named = os.environ.get("AIMARKET_TEST_CONFIG")
    if named:
        return pathlib.Path(named)
    configs = sorted((REPO / "configs").glob("**/*.toml"))
    baselines = [c for c in configs if "baseline" in c.name]
    return (baselines or configs or [None])[0]


def test_program_output(run_aimarket, tmp_path):
    config = find_config()
    if config is None:
        pytest.skip("no config under configs/ to run")
    out = tmp_path / "run.h5"
    steps, replicates = 3, 2
    result = run_aimarket("run", config, "--out", out, "--steps", steps,
                          "--replicates", replicates, "--overwrite")
    assert result.returncode == 0, result.stderr
    recorded_replicates, recorded_steps, _ = check_with_h5py(out)
    assert recorded_replicates == replicates
    with h5py.File(out, "r") as f:
        record_every = int(f.attrs["record_every"])
        assert int(f.attrs["steps_requested"]) == steps
        assert f.attrs["config_path"] == str(config)
    assert 1 <= recorded_steps <= steps
    if record_every == 1:
        assert recorded_steps == steps
    check_with_xarray(out)
    check_with_netcdf4(out)

    # Without --overwrite the program refuses to replace the file, and leaves it as it was.
    before = out.read_bytes()
    refused = run_aimarket("run", config, "--out", out, "--steps", steps)
    assert refused.returncode != 0
    assert "exists; pass --overwrite to replace it" in refused.stderr
    assert out.read_bytes() == before
