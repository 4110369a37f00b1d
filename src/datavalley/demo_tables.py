"""Synthetic tables for the demo catalog, generated deterministically (a fixed random seed).

Every number and name is invented. Counties belong to the fictional Yunling Province (云岭省).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

COUNTIES = [
    ("520101", "青山县 Qingshan"),
    ("520102", "云岭县 Yunling"),
    ("520103", "白水县 Baishui"),
    ("520104", "石门县 Shimen"),
    ("520105", "桃源县 Taoyuan"),
    ("520106", "梅江县 Meijiang"),
    ("520107", "龙泉县 Longquan"),
    ("520108", "松涛县 Songtao"),
    ("520109", "红岩县 Hongyan"),
    ("520110", "金沙县 Jinsha"),
    ("520111", "清溪县 Qingxi"),
    ("520112", "雾山县 Wushan"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def _id_number(rng: random.Random, county: str) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    body = f"{county}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def poverty_monitoring(rng: random.Random) -> Iterator[list[object]]:
    yield ["县代码", "县名", "年份", "监测户数", "人均纯收入（元）", "风险等级", "帮扶措施"]
    for code, name in COUNTIES:
        households = rng.randrange(800, 5000)
        income = rng.uniform(3500, 6000)
        for year in range(2016, 2026):
            households = max(50, int(households * rng.uniform(0.70, 0.92)))
            income *= rng.uniform(1.06, 1.14)
            risk = "高" if income < 6000 else "中" if income < 9000 else "低"
            measure = rng.choice(["产业帮扶", "就业帮扶", "教育帮扶", "健康帮扶", "易地搬迁"])
            yield [code, name, year, households, round(income, 2), risk, measure]


def county_indicators(rng: random.Random) -> Iterator[list[object]]:
    yield [
        "county_code",
        "county",
        "year",
        "gdp_million_yuan",
        "population",
        "urbanisation_rate",
        "disposable_income",
    ]
    for code, name in COUNTIES:
        gdp = rng.uniform(3000, 20000)
        pop = rng.randrange(180_000, 900_000)
        urban = rng.uniform(0.25, 0.45)
        for year in range(2010, 2026):
            gdp *= rng.uniform(1.04, 1.11)
            pop = int(pop * rng.uniform(0.99, 1.01))
            urban = min(0.85, urban + rng.uniform(0.005, 0.02))
            yield [code, name, year, round(gdp, 1), pop, round(urban, 4), round(gdp * 1e6 / pop * 0.4, 0)]


def ecommerce_turnover(rng: random.Random) -> Iterator[list[object]]:
    yield ["month", "county", "product", "orders", "turnover_yuan"]
    products = ["tea 茶叶", "chilli 辣椒", "kiwi 猕猴桃", "rice 大米", "honey 蜂蜜"]
    for m in range(84):
        month = date(2019 + m // 12, m % 12 + 1, 1)
        for _, county in COUNTIES[:6]:
            for product in products:
                orders = int(rng.uniform(200, 4000) * (1 + m / 40))
                yield [month.isoformat(), county, product, orders, round(orders * rng.uniform(35, 120), 2)]


def data_centres(rng: random.Random) -> Iterator[list[object]]:
    yield ["site", "region", "pue", "racks", "servers", "capacity_mw", "energy_source"]
    sites = [
        ("gui_an_1", "贵安新区 Gui'an"),
        ("gui_an_2", "贵安新区 Gui'an"),
        ("qingshan_dc", "青山州 Qingshan"),
        ("yunling_south", "云岭南 Yunling South"),
        ("shimen_edge", "石门 Shimen"),
    ]
    for name, region in sites:
        racks = rng.randrange(200, 3000)
        yield [
            name,
            region,
            round(rng.uniform(1.18, 1.45), 2),
            racks,
            racks * rng.randrange(12, 20),
            round(racks * 0.008, 1),
            rng.choice(["hydro 水电", "wind 风电", "grid 电网", "solar 光伏"]),
        ]


def vaccination_points(rng: random.Random) -> Iterator[list[object]]:
    yield ["point_id", "county", "name", "address", "opens", "closes"]
    n = 0
    for _, county in COUNTIES:
        for i in range(rng.randrange(3, 8)):
            n += 1
            yield [
                f"{n:04d}",
                county,
                f"{county.split()[0]}第{i + 1}接种点",
                f"{county.split()[0]}人民路{rng.randrange(1, 300)}号",
                "08:30",
                rng.choice(["17:00", "17:30", "18:00"]),
            ]


def hospital_visits(rng: random.Random) -> Iterator[list[object]]:
    yield ["身份证号码", "姓名", "就诊日期", "医院", "诊断分组", "费用（元）"]
    start = date(2025, 1, 1)
    for _ in range(3000):
        code, county = rng.choice(COUNTIES)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        yield [
            _id_number(rng, code),
            name,
            (start + timedelta(days=rng.randrange(0, 300))).isoformat(),
            f"{county.split()[0]}人民医院",
            rng.choice(["呼吸系统", "消化系统", "心血管", "骨科", "儿科"]),
            round(rng.uniform(30, 3000), 2),
        ]


#: (organization, dataset, table, generator, tags per column name)
DEMO_TABLES: list[
    tuple[str, str, str, Callable[[random.Random], Iterator[list[object]]], dict[str, list[str]]]
] = [
    ("rural_revitalization", "poverty_monitoring", "households_by_county", poverty_monitoring, {}),
    ("stats_bureau", "county_indicators", "indicators", county_indicators, {}),
    ("valley_ecommerce", "rural_ecommerce_turnover", "monthly_turnover", ecommerce_turnover, {}),
    ("bigdata_bureau", "data_centres", "sites", data_centres, {}),
    ("health_commission", "vaccination_points", "points", vaccination_points, {"address": ["address"]}),
    (
        "health_commission",
        "hospital_visits",
        "visits",
        hospital_visits,
        {"shen_fen_zheng_hao_ma": ["id_number"], "xing_ming": ["name"]},
    ),
]


def write_csv(path: Path, rows: Iterator[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path
