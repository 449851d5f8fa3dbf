"""Format checks of an aimarket trajectory file, as users read it: with h5py, with xarray
(engine="h5netcdf") and, where installed, with netCDF-C through netCDF4. The layout is
documented in docs/OUTPUT.md and named in src/output/output_schema.hpp.

The checks are plain functions of a file path (check_with_h5py, check_with_xarray,
check_with_netcdf4), so they can be pointed at any trajectory file from an interactive
session; test_program_output runs them on a small run of the program (`--aimarket PATH`, via
the `run_aimarket` fixture of conftest.py).
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
LAYERS = ["hbm", "accelerator", "cloud", "model", "service"]
LAYER_UNITS = ["HBM stacks", "accelerator units", "H100e-months", "M tokens", "customers"]
SERVICE = LAYERS.index("service")
LAYER_UNITS_UNITS = "layer units per step (see layer_unit)"
PRICE_UNITS = "USD per layer unit (see layer_unit)"
DATA_VARIABLES = {
    # name: (dimensions, dtype, units)
    "customers": (("replicate", "step", "segment", "firm"), np.int32, "agents"),
    "adopters": (("replicate", "step", "segment"), np.int32, "agents"),
    "market_share": (("replicate", "step", "layer", "firm"), np.float64, "1"),
    "revenue_share": (("replicate", "step", "layer", "firm"), np.float64, "1"),
    "hhi": (("replicate", "step", "layer"), np.float64, "1"),
    "layer_units": (("replicate", "step", "layer"), np.float64, LAYER_UNITS_UNITS),
    "layer_revenue": (("replicate", "step", "layer"), np.float64, "USD per step"),
    "region_share": (("replicate", "step", "layer", "region"), np.float64, "1"),
    "price": (("replicate", "step", "layer", "firm"), np.float64, PRICE_UNITS),
    "capability": (("replicate", "step", "firm"), np.float64, "1"),
    "data_stock": (("replicate", "step", "firm"), np.float64, "T tokens"),
    "domain_data": (("replicate", "step", "segment", "firm"), np.float64, "T tokens"),
    "data_price": (("replicate", "step", "firm"), np.float64, "USD per T tokens"),
    "data_revenue": (("replicate", "step", "firm"), np.float64, "USD per step"),
    "installed_compute": (("replicate", "step", "firm"), np.float64, "H100e"),
    "cash": (("replicate", "step", "firm"), np.float64, "USD M"),
    "funding": (("replicate", "step", "firm"), np.float64, "USD M"),
    "alive": (("replicate", "step", "firm"), np.uint8, "1"),
}


def coordinates_of(dims):
    """The `coordinates` attribute of a data variable: the auxiliary coordinates along its
    dimensions (date; layer_unit; the firm table)."""
    names = ["date"]
    if "layer" in dims:
        names.append("layer_unit")
    if "firm" in dims:
        names += ["firm_name", "firm_archetype", "firm_region"]
    return " ".join(names)


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
        assert f["layer_unit"].asstr()[:].tolist() == LAYER_UNITS
        assert [s.name for s in f["layer_unit"].dims[0].values()] == ["/layer"]
        expected_dates = [month_after(attrs["start_month"], s) for s in f["step"][:]]
        assert f["date"].asstr()[:].tolist() == expected_dates
        for name in ["firm_name", "firm_archetype", "firm_region"]:
            values = f[name].asstr()[:].tolist()
            assert len(values) == firms and all(isinstance(v, str) for v in values), name
        assert set(f["firm_region"].asstr()[:]) <= set(REGIONS)

        # Data variables: type, shape, attached scales, attributes.
        sizes = {"replicate": replicates, "step": steps, "firm": firms,
                 "segment": len(SEGMENTS), "region": len(REGIONS), "layer": len(LAYERS)}
        for name, (dims, dtype, units) in DATA_VARIABLES.items():
            dataset = f[name]
            assert dataset.dtype == dtype, name
            assert dataset.shape == tuple(sizes[d] for d in dims), name
            assert dataset.maxshape[1] is None, name
            for axis, dim in enumerate(dims):
                scales = list(dataset.dims[axis].values())
                assert [s.name for s in scales] == [f"/{dim}"], f"{name} axis {axis}"
            assert dataset.attrs["units"] == units, name
            assert isinstance(dataset.attrs["long_name"], str), name
            assert dataset.attrs["coordinates"] == coordinates_of(dims), name
            # NaN (price) is data, not a fill value: no variable declares one.
            assert "_FillValue" not in dataset.attrs, name
            assert dataset.compression == "gzip" and dataset.shuffle, name
            # One step per chunk (each chunk written whole, once); small markets put every
            # replicate of the step in one chunk.
            assert dataset.chunks[1] == 1, name
            assert 1 <= dataset.chunks[0] <= sizes["replicate"], name
        assert float(f["customers"].attrs["customer_weight"]) == float(attrs["customer_weight"])

        # The calibrated utility offsets: written once, (replicate, segment, region, firm);
        # NaN (the fill value) only in a file that holds no step.
        xi = f["utility_offset"]
        assert xi.dtype == np.float64
        assert xi.shape == (sizes["replicate"], len(SEGMENTS), len(REGIONS), firms)
        for axis, dim in enumerate(("replicate", "segment", "region", "firm")):
            assert [s.name for s in xi.dims[axis].values()] == [f"/{dim}"]
        assert xi.attrs["units"] == "utility"
        assert xi.attrs["coordinates"] == "firm_name firm_archetype firm_region"
        assert np.all(np.isfinite(xi[:])) if steps > 0 else np.all(np.isnan(xi[:]))

        # Identities of the recorded state.
        check_identities({name: f[name][:] for name in DATA_VARIABLES},
                         f["firm_region"].asstr()[:], float(attrs["customer_weight"]))
    return replicates, steps, firms


def check_identities(data, firm_region, customer_weight):
    """The model's identities, on arrays in the file's layout (replicate, step, ...)."""
    customers, adopters = data["customers"], data["adopters"]
    shares, revenue_shares = data["market_share"], data["revenue_share"]
    units, revenue = data["layer_units"], data["layer_revenue"]
    hhi, region_share, price = data["hhi"], data["region_share"], data["price"]

    assert np.array_equal(customers.sum(axis=3), adopters)

    # Layer totals: finite, not negative.
    for name in ["layer_units", "layer_revenue"]:
        assert np.all(np.isfinite(data[name]) & (data[name] >= 0)), name

    # Shares of units and of revenue: each in [0, 1], summing to 1 over firms where the layer
    # has units (revenue), all 0 where it has none.
    for name, share, total in [("market_share", shares, units),
                               ("revenue_share", revenue_shares, revenue)]:
        assert np.all((share >= 0) & (share <= 1 + 1e-12)), name
        sums = share.sum(axis=3)
        np.testing.assert_allclose(sums[total > 0], 1.0, rtol=1e-9, err_msg=name)
        assert np.all(share[total == 0] == 0), f"{name} of a layer with no units"

    # HHI: sum of squared market shares, 0 for a layer with no units.
    np.testing.assert_allclose(hhi, (shares ** 2).sum(axis=3), rtol=1e-9, atol=1e-15)
    assert np.all((hhi >= 0) & (hhi <= 1 + 1e-12))

    # Region shares: the market shares of the firms based in each region, summed.
    firm_region = np.asarray(firm_region)
    for g, region in enumerate(REGIONS):
        np.testing.assert_allclose(
            region_share[:, :, :, g], shares[:, :, :, firm_region == region].sum(axis=3),
            rtol=1e-9, atol=1e-12, err_msg=f"region_share of {region}")
    np.testing.assert_allclose(region_share.sum(axis=3)[units > 0], 1.0, rtol=1e-9)

    # The service layer counts real customers: its units are the adopters times the weight,
    # and its shares are the firms' customers over all adopters.
    total = adopters.sum(axis=2)
    np.testing.assert_allclose(units[:, :, SERVICE], total * customer_weight, rtol=1e-9)
    np.testing.assert_allclose(
        shares[:, :, SERVICE, :], customers.sum(axis=2) / np.maximum(total, 1)[:, :, None],
        rtol=1e-9)

    # Prices: NaN exactly where a firm does not sell; a firm with units has a finite price.
    sells = shares > 0
    assert np.all(np.isfinite(price[sells]) & (price[sells] >= 0)), "price of a selling firm"
    not_selling = np.isnan(price)
    assert np.all(shares[not_selling] == 0) and np.all(revenue_shares[not_selling] == 0)
    assert not np.any(np.isinf(price))

    # Firm state: finite; stocks not negative; alive a 0/1 flag.
    for name in ["capability", "data_stock", "installed_compute", "cash", "funding"]:
        assert np.all(np.isfinite(data[name])), name
    assert np.all(data["funding"] >= 0), "a round raises money, never returns it"
    assert np.all(data["data_stock"] >= 0) and np.all(data["installed_compute"] >= 0)
    # Data: domain data is part of all data held; a data price is NaN exactly where the firm
    # earned nothing on the data market and sells no data.
    assert np.all(data["domain_data"] >= 0)
    assert np.all(data["domain_data"].sum(axis=2) <= data["data_stock"] * (1 + 1e-12))
    assert np.all(data["data_revenue"][np.isnan(data["data_price"])] == 0)
    assert set(np.unique(data["alive"])) <= {0, 1}


def check_with_xarray(path, status="complete"):
    """The netCDF view through h5netcdf: named dimensions, label coordinates, dates."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        replicates = int(ds.attrs["replicates"])
        steps = int(ds.attrs["steps_recorded"])
        firms = ds.sizes["firm"]
        expected_sizes = {"replicate": replicates, "step": steps, "firm": firms,
                          "segment": len(SEGMENTS), "region": len(REGIONS), "layer": len(LAYERS)}
        if "parameter" in ds.dims:  # a run with uncertain keys (the baseline has priors)
            parameters = ds.sizes["parameter"]
            assert parameters >= 1
            expected_sizes["parameter"] = parameters
            assert ds["parameter_value"].dims == ("replicate", "parameter")
            assert set(ds["parameter_value"].coords) == {"replicate", "parameter",
                                                         "parameter_origin"}
            assert all("." in str(key) for key in ds["parameter"].values)
            assert np.all(np.isfinite(ds["parameter_value"].values))
        assert dict(ds.sizes) == expected_sizes
        assert ds.attrs["status"] == status
        assert ds.attrs["title"] == "aimarket trajectory"

        # Label coordinates: select by name.
        assert ds["segment"].values.tolist() == SEGMENTS
        assert ds["region"].values.tolist() == REGIONS
        assert ds["layer"].values.tolist() == LAYERS
        consumer = ds["customers"].sel(segment="consumer")
        assert consumer.dims == ("replicate", "step", "firm")
        assert np.array_equal(consumer.values, ds["customers"].values[:, :, 0, :])
        # Layers by name, each with its unit alongside (layer_unit is a coordinate).
        assert "layer_unit" in ds.coords and "layer_unit" not in ds.data_vars
        assert ds["layer_unit"].dims == ("layer",)
        assert ds["layer_unit"].values.tolist() == LAYER_UNITS
        with h5py.File(path, "r") as f:
            raw_shares = f["market_share"][:]
            raw_price = f["price"][:]
        for index, layer in enumerate(LAYERS):
            share = ds["market_share"].sel(layer=layer)
            assert share.dims == ("replicate", "step", "firm")
            assert np.array_equal(share.values, raw_shares[:, :, index, :]), layer
            assert share["layer_unit"].item() == LAYER_UNITS[index]
        hbm_units = ds["layer_units"].sel(layer="hbm")
        assert hbm_units.dims == ("replicate", "step")
        assert hbm_units["layer_unit"].item() == "HBM stacks"
        assert ds["region_share"].sel(layer="hbm", region="KR").dims == ("replicate", "step")

        # price: NaN is data (no _FillValue to decode), read back where it was written; the
        # NaN-skipping reductions ignore firms that do not sell.
        price = ds["price"]
        assert "_FillValue" not in price.attrs and "_FillValue" not in price.encoding
        assert np.array_equal(np.isnan(price.values), np.isnan(raw_price))
        np.testing.assert_array_equal(price.values[~np.isnan(raw_price)],
                                      raw_price[~np.isnan(raw_price)])
        sellers = price.count("firm")
        assert np.array_equal(sellers.values, np.isfinite(raw_price).sum(axis=3))
        with np.errstate(all="ignore"):
            sales = ds["market_share"] * ds["layer_units"]
            mean_price = (price * sales).sum("firm") / sales.where(price.notnull()).sum("firm")
        assert mean_price.dims == ("replicate", "step", "layer")

        for name, (dims, dtype, units) in DATA_VARIABLES.items():
            assert ds[name].dims == dims, name
            assert ds[name].dtype == dtype, name
            assert ds[name].attrs["units"] == units, name
            assert isinstance(ds[name].attrs["long_name"], str), name

        # Dates, the firm table and layer units come along as coordinates of the data variables.
        expected_dates = [month_after(ds.attrs["start_month"], s) for s in ds["step"].values]
        assert ds["date"].values.tolist() == expected_dates
        for name, (dims, _, _) in DATA_VARIABLES.items():
            expected = set(coordinates_of(dims).split()) | set(dims)
            assert set(ds[name].coords) == expected, name
        for name in ["firm_name", "firm_archetype", "firm_region"]:
            assert ds[name].dims == ("firm",)
        assert ds["utility_offset"].dims == ("replicate", "segment", "region", "firm")
        assert set(ds["utility_offset"].coords) == {"replicate", "segment", "region", "firm",
                                                    "firm_name", "firm_archetype", "firm_region"}
        assert ds["replicate"].values.tolist() == list(range(replicates))
        assert ds["alive"].dtype == np.uint8

        # Typical analyses: consumer-segment customers of each firm, by name, at the last
        # date; a layer's shares by firm name and date; the shares of each region.
        if steps > 0:
            last = ds["customers"].sel(segment="consumer").isel(step=-1).sum("replicate")
            by_name = last.assign_coords(firm=ds["firm_name"].values)
            assert by_name.sizes["firm"] == firms
            shares = ds["market_share"].sel(layer="cloud").swap_dims(firm="firm_name",
                                                                     step="date")
            first = shares.sel(date=shares["date"].values[0],
                               firm_name=ds["firm_name"].values[0])
            assert first.dims == ("replicate",)
            by_region = ds["market_share"].groupby("firm_region").sum()
            for region in by_region["firm_region"].values:
                np.testing.assert_allclose(
                    by_region.sel(firm_region=region).values,
                    ds["region_share"].sel(region=region).values, rtol=1e-9, atol=1e-12)


def check_with_netcdf4(path):
    """netCDF-C reads the file as netCDF-4, where the netCDF4 module is installed."""
    if netCDF4 is None:
        return
    with netCDF4.Dataset(path) as nc:
        assert nc.dimensions["step"].isunlimited()
        assert len(nc.dimensions["step"]) == int(nc.getncattr("steps_recorded"))
        for name, (dims, dtype, units) in DATA_VARIABLES.items():
            variable = nc.variables[name]
            assert variable.dimensions == dims, name
            assert variable.dtype == dtype, name
            assert variable.getncattr("units") == units, name
        assert list(nc.variables["segment"][:]) == SEGMENTS
        assert list(nc.variables["layer"][:]) == LAYERS
        assert list(nc.variables["layer_unit"][:]) == LAYER_UNITS
        # NaN prices come back as NaN, unmasked: with no _FillValue nothing is masked.
        price = nc.variables["price"][:]
        assert np.ma.count_masked(price) == 0
    with h5py.File(path, "r") as f:
        assert np.array_equal(np.isnan(np.ma.getdata(price)), np.isnan(f["price"][:]))


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
