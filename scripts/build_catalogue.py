"""Build src/allied/data/catalogue.csv from the SIPRI extracts in ../shared/data.

Run from the repository root: ``python scripts/build_catalogue.py [SHARED_DATA_DIR]``.
Each designation in the SIPRI trade register extract of transfers to Ukraine becomes an
item type; its compatibility family comes from its description and the calibre in its
designation (rules below); its unit value is SIPRI's TIV per unit (a volume index, not
money: valuation basis ``sipri-tiv``). A few non-SIPRI items (ammunition, fuel, medical,
training) are added with illustrative values, marked as such.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "SIPRI Arms Transfers Database trade register (transfers to Ukraine, to 2023)"

FAMILY_BY_NAME = [
    (r"k-9|rch-155|zuzana|caesar|archer|as-90|dana-m2|krab|m-109", "155mm-nato", "artillery"),
    (r"patriot|mim-104|pac-", "sam-patriot", "air-defence"),
    (r"iris-t", "sam-iris-t", "air-defence"),
    (r"nasams|amraam|aim-120", "sam-nasams", "air-defence"),
    (
        r"s-300|buk|9k3|osa|strela-10|kub|s-125|hawk|crotale|aspide|samp|skyguard|avenger",
        "sam-other",
        "air-defence",
    ),
    (r"gmlrs|m-142|himars|m-270|mars-2|lrsv", "227mm-gmlrs", "rocket-artillery"),
    (r"leopard|challenger|abrams|m-1a|stridsvagn", "mbt-western", "armour"),
    (r"t-72|t-55|pt-91|m-84|t-64", "mbt-soviet", "armour"),
    (r"gepard", "aa-gun", "air-defence"),
]

FAMILY_BY_DESCRIPTION = {
    "tank": ("mbt-western", "armour"),
    "IFV": ("ifv", "armour"),
    "APC": ("apc", "armour"),
    "APV": ("apc", "armour"),
    "APC/APV": ("apc", "armour"),
    "armoured car": ("apc", "armour"),
    "reconnaissance AV": ("apc", "armour"),
    "ALV": ("apc", "armour"),
    "ARV": ("armour-support", "armour"),
    "AEV": ("armour-support", "armour"),
    "armoured bridgelayer": ("armour-support", "armour"),
    "anti-tank missile": ("atgm", "anti-tank"),
    "portable SAM": ("manpads", "air-defence"),
    "SAM system": ("sam-other", "air-defence"),
    "mobile SAM system": ("sam-other", "air-defence"),
    "SAM": ("sam-other", "air-defence"),
    "ABM/SAM system": ("sam-other", "air-defence"),
    "ABM missile": ("sam-other", "air-defence"),
    "BVRAAM/SAM": ("sam-other", "air-defence"),
    "self-propelled AA gun": ("aa-gun", "air-defence"),
    "BVRAAM": ("air-launched-missile", "missile"),
    "SRAAM": ("air-launched-missile", "missile"),
    "ASM": ("air-launched-missile", "missile"),
    "anti-radar missile": ("air-launched-missile", "missile"),
    "guided glide bomb": ("air-launched-missile", "missile"),
    "anti-ship missile/SSM": ("surface-missile", "missile"),
    "SSM": ("surface-missile", "missile"),
    "anti-ship missile/ASM/SAM": ("surface-missile", "missile"),
    "coastal defence system": ("surface-missile", "missile"),
    "transport helicopter": ("helicopter", "helicopter"),
    "light helicopter": ("helicopter", "helicopter"),
    "combat helicopter": ("helicopter", "helicopter"),
    "FGA aircraft": ("combat-aircraft", "aircraft"),
    "ground attack aircraft": ("combat-aircraft", "aircraft"),
    "trainer/combat aircraft": ("combat-aircraft", "aircraft"),
    "UAV": ("uav", "drone"),
    "armed UAV": ("uav", "drone"),
    "loitering munition": ("loitering-munition", "drone"),
    "artillery locating radar": ("radar", "radar"),
    "air search radar": ("radar", "radar"),
    "ground surv radar": ("radar", "radar"),
    "fire control radar": ("radar", "radar"),
    "multi-role radar": ("radar", "radar"),
    "air search system": ("radar", "radar"),
    "patrol craft": ("naval", "naval"),
    "MCM ship": ("naval", "naval"),
    "minehunter": ("naval", "naval"),
    "frigate": ("naval", "naval"),
    "vehicle engine": ("vehicle", "vehicle"),
}

NON_LETHAL = {"radar", "vehicle", "armour-support", "fuel", "medical", "training"}

EXTRA = [
    # code, name, category, family, lethal, calibre, unit value EUR, basis, source
    (
        "155mm-he-shell",
        "155 mm HE shell",
        "ammunition",
        "155mm-nato",
        True,
        155,
        "3500",
        "illustrative",
    ),
    (
        "152mm-he-shell",
        "152 mm HE shell",
        "ammunition",
        "152mm-soviet",
        True,
        152,
        "2000",
        "illustrative",
    ),
    (
        "122mm-he-shell",
        "122 mm HE round (D-30/2S1)",
        "ammunition",
        "122mm-tube",
        True,
        122,
        "1500",
        "illustrative",
    ),
    (
        "122mm-grad-rocket",
        "122 mm Grad rocket",
        "ammunition",
        "122mm-grad",
        True,
        122,
        "1000",
        "illustrative",
    ),
    (
        "105mm-he-shell",
        "105 mm HE round",
        "ammunition",
        "105mm-nato",
        True,
        105,
        "1200",
        "illustrative",
    ),
    (
        "120mm-mortar-bomb",
        "120 mm mortar bomb",
        "ammunition",
        "120mm-mortar",
        True,
        120,
        "800",
        "illustrative",
    ),
    (
        "gmlrs-rocket",
        "GMLRS guided rocket (227 mm)",
        "ammunition",
        "227mm-gmlrs",
        True,
        227,
        "160000",
        "illustrative",
    ),
    ("diesel-m3", "Diesel fuel (cubic metre)", "fuel", "fuel", False, None, "1000", "illustrative"),
    ("ifak", "Individual first-aid kit", "medical", "medical", False, None, "60", "illustrative"),
    (
        "field-hospital",
        "Field hospital module",
        "medical",
        "medical",
        False,
        None,
        "2000000",
        "illustrative",
    ),
    (
        "basic-training-place",
        "Basic infantry training course (one trainee)",
        "training",
        "training",
        False,
        None,
        "15000",
        "illustrative",
    ),
    (
        "f16-pilot-training",
        "F-16 pilot training (one pilot)",
        "training",
        "training",
        False,
        None,
        "2500000",
        "illustrative",
    ),
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


def family_for(designation: str, description: str, calibre: int | None) -> tuple[str, str]:
    low = designation.lower()
    if "helicopter" in description:
        return "helicopter", "helicopter"
    for pattern, family, category in FAMILY_BY_NAME:
        if re.search(pattern, low):
            return family, category
    if calibre is not None:
        gun = description in {
            "towed gun",
            "self-propelled gun",
            "SPG turret",
            "self-propelled gun chassis",
        }
        mrl = "MRL" in description
        mortar = "mortar" in description
        if mortar:
            return ("120mm-mortar" if calibre == 120 else "mortar-other"), "artillery"
        if mrl:
            if calibre == 122:
                return "122mm-grad", "rocket-artillery"
            if calibre == 227:
                return "227mm-gmlrs", "rocket-artillery"
            return "mrl-other", "rocket-artillery"
        if gun or description == "guided shell":
            by_cal = {155: "155mm-nato", 152: "152mm-soviet", 122: "122mm-tube", 105: "105mm-nato"}
            return by_cal.get(calibre, "artillery-other"), "artillery"
    if description == "guided shell":
        return "155mm-nato", "ammunition"
    if description == "guided rocket":
        return "227mm-gmlrs", "rocket-artillery"
    if description == "tank" and re.search(r"t-|pt-|m-84", low):
        return "mbt-soviet", "armour"
    if description in FAMILY_BY_DESCRIPTION:
        return FAMILY_BY_DESCRIPTION[description]
    return "other", "other"


def main(shared: Path) -> None:
    calibres: dict[str, int] = {}
    with open(shared / "sipri" / "designations_with_calibre.csv", newline="") as f:
        for row in csv.DictReader(f):
            calibres[row["weapon_designation"]] = int(row["calibre_mm"])
    items: dict[str, list[object]] = {}
    with open(shared / "sipri" / "transfers_to_ukraine.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            designation, description, tiv = row[6].strip(), row[7].strip(), row[13].strip()
            if not designation:
                continue
            match = re.search(r"(\d{2,3})mm", designation)
            calibre = calibres.get(designation) or (int(match.group(1)) if match else None)
            family, category = family_for(designation, description, calibre)
            code = slug(designation)
            if code in items:
                continue
            lethal = family not in NON_LETHAL and description not in {"vehicle engine"}
            items[code] = [
                code,
                designation,
                category,
                family,
                lethal,
                calibre or "",
                tiv,
                "sipri-tiv" if tiv else "",
                f"{SOURCE}; {description}",
            ]
    for code, name, category, family, lethal, calibre, value, basis in EXTRA:
        items[code] = [
            code,
            name,
            category,
            family,
            lethal,
            calibre or "",
            value,
            basis,
            "allied reference catalogue; unit value ILLUSTRATIVE (EUR)",
        ]
    out = ROOT / "src" / "allied" / "data" / "catalogue.csv"
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "code",
                "name",
                "category",
                "family",
                "lethal",
                "calibre_mm",
                "unit_value",
                "valuation_basis",
                "source",
            ]
        )
        for code in sorted(items):
            row = items[code]
            row[4] = "1" if row[4] else "0"
            w.writerow(row)
    print(f"wrote {len(items)} item types to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
