"""Real series that ship with statsmodels (read offline from its package files), by frequency.

None of them is cost data: electricity demand, CO2, sea temperature, housing starts,
industrial output, macroeconomic aggregates. They test the engine on seasons, trends and
noise it was not tuned on. Frequencies without a bundled series are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _root() -> Path:
    import statsmodels

    return Path(statsmodels.__file__).parent


def _csv(rel: str, **kw) -> pd.DataFrame:
    return pd.read_csv(_root() / rel, **kw)


def hourly() -> list[pd.Series]:
    """Victoria (Australia) electricity demand, hourly, 2012-01-01 to 2012-05-29."""
    df = _csv("tsa/stl/tests/results/mstl_elec_vic.csv", parse_dates=["ds"])
    s = pd.Series(df["y"].to_numpy(), index=pd.DatetimeIndex(df["ds"]), name="elec_vic")
    return [s.asfreq("h")]


def daily() -> list[pd.Series]:
    """The hourly demand summed per day (150 days)."""
    s = hourly()[0]
    return [s.resample("D").sum().rename("elec_vic_daily")]


def weekly() -> list[pd.Series]:
    """Mauna Loa CO2, weekly (Saturdays) 1958-2001; missing weeks are dropped (the engine
    fills them in)."""
    df = _csv("datasets/co2/co2.csv")
    idx = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return [pd.Series(df["co2"].to_numpy(), index=idx, name="co2").dropna()]


def _nowcast() -> pd.DataFrame:
    df = _csv("tsa/statespace/tests/results/frbny_nowcast/Nowcasting/data/US/2016-06-29.csv")
    df.index = pd.to_datetime(df.pop("Date"), format="%m/%d/%y")
    return df


def monthly() -> list[pd.Series]:
    """El Nino sea temperature, euro-area electrical equipment orders, US housing starts (not
    seasonally adjusted), and US monthly indicators 1985-2016 (seasonally adjusted)."""
    out = []
    nino = _csv("datasets/elnino/elnino.csv")
    vals = nino.drop(columns="YEAR").to_numpy().ravel()
    out.append(pd.Series(vals, index=pd.date_range(f"{nino['YEAR'].iloc[0]}-01-01",
                                                   periods=len(vals), freq="MS"), name="elnino"))
    eq = _csv("datasets/elec_equip/elec_equip.csv")
    out.append(pd.Series(eq.iloc[:, 1].to_numpy(), index=pd.to_datetime(eq["DATE"], format="%b-%d-%Y"),
                         name="elec_equip"))
    hs = _csv("tsa/holtwinters/tests/results/housing-data.csv", parse_dates=["DATE"])
    out.append(pd.Series(hs["HOUSTNSA"].to_numpy(), index=pd.DatetimeIndex(hs["DATE"]),
                         name="housing_starts"))
    now = _nowcast()
    for col in ("PAYEMS", "CPIAUCSL", "HSN1F", "UNRATE", "INDPRO", "DSPIC96", "PERMIT", "TCU"):
        out.append(now[col].dropna().rename(col))
    return [s.asfreq("MS") for s in out]


def quarterly() -> list[pd.Series]:
    """US macro aggregates 1959-2009, Danish money and income 1974-1987, and the quarterly
    sums of the (not seasonally adjusted) housing starts and equipment orders."""
    mac = _csv("datasets/macrodata/macrodata.csv")
    idx = pd.PeriodIndex.from_fields(year=mac["year"], quarter=mac["quarter"],
                                     freq="Q").to_timestamp()
    out = [pd.Series(mac[c].to_numpy(), index=idx, name=c)
           for c in ("realgdp", "realcons", "realinv", "cpi", "m1", "unemp", "tbilrate")]
    dan = _csv("datasets/danish_data/data.csv", encoding="utf-8-sig")
    didx = pd.PeriodIndex(dan["period"], freq="Q").to_timestamp()
    out += [pd.Series(dan[c].to_numpy(), index=didx, name=f"danish_{c}") for c in ("lrm", "lry")]
    for s in monthly()[1:3]:
        out.append(s.resample("QS").sum().iloc[:-1].rename(f"{s.name}_q"))  # last one partial
    return [s.asfreq("QS") for s in out]
