"""Around the device: seal ring, alignment marks, plate labels, test structures, wafer map.

The seal ring belongs to the device (:func:`with_seal`); marks, labels and the wafer map
belong to the mask layout only (:func:`mask_layout`), so that measurements of the device
(estimates, rules) never count them.

Placement (um), relative to the device's bounding box (seal ring included)::

      [marks of pair 1][pair 2] ...           +----------- upper right: the same mark
                                              |            groups, mirrored in order
      +-------------------------------------+
      |               device                |
      +-------------------------------------+
      [marks ...]   lower left
      LABEL layer 0   [resolution bars of layer 0]
      LABEL layer 1   [resolution bars of layer 1]    one row per plate, staggered so
      ...                                              that labels never print on top of
                                                       each other on the wafer
"""

from __future__ import annotations

import math

import gdstk

from mbfab.designs.base import Device, RoleLayers
from mbfab.designs.registry import build_device
from mbfab.errors import SettingError
from mbfab.layout import Layer, bounding_box, cell_name, rectangle, snap_value
from mbfab.layout.arrays import lattice_references
from mbfab.layout.marks import (
    COARSE_SCALE,
    MarkPlacement,
    MarkStyle,
    alignment_group,
    frame,
    mark_sizes,
    resolution_bars,
    text,
)
from mbfab.recipe.layout_spec import (
    MarksSpec,
    SealSpec,
    WaferSpec,
    alignment_pairs,
    design_variants,
)
from mbfab.recipe.schema import Recipe
from mbfab.recipe.tone import layer_field

__all__ = ["add_marks", "add_seal", "decorate", "mask_layout", "wafer_sites", "with_seal"]

SEAL_ROLES = ("seal", "passivation")


def _layers(recipe: Recipe) -> dict[str, Layer]:
    return {spec.name: Layer(spec.gds[0], spec.gds[1], spec.name) for spec in recipe.layers}


def add_seal(device: Device, seal: SealSpec, layers: list[Layer]) -> Device:
    """A ring of ``seal.width`` at ``seal.gap`` around the device on every seal layer."""
    (x0, y0), (x1, y1) = device.footprint
    w, h = x1 - x0 + 2 * seal.gap, y1 - y0 + 2 * seal.gap
    cell = device.cell.copy(device.cell.name, deep_copy=False)
    center = ((x0 + x1) / 2, (y0 + y1) / 2)
    for layer in layers:
        # A square frame is stretched to the device's aspect by drawing four bars.
        ring = _rect_frame(center, w, h, seal.width, layer)
        cell.add(*ring)
    outer_w, outer_h = w + 2 * seal.width, h + 2 * seal.width
    closed = device.closed_form | {
        "seal_width_um": seal.width,
        "seal_gap_um": seal.gap,
        "package_area_um2": outer_w * outer_h,
    }
    used = device.layers | {f"seal:{layer.name}": layer for layer in layers}
    return Device(cell, used, device.footprint, device.nets, closed, device.info, device.marks)


def _rect_frame(
    center: tuple[float, float], w: float, h: float, width: float, layer: Layer
) -> list[gdstk.Polygon]:
    if w == h:
        return frame(center, w, width, layer)
    x, y = center
    a, b, o = w / 2, h / 2, width
    return [
        rectangle(x - a - o, y - b - o, x + a + o, y - b, layer),
        rectangle(x - a - o, y + b, x + a + o, y + b + o, layer),
        rectangle(x - a - o, y - b, x - a, y + b, layer),
        rectangle(x + a, y - b, x + a + o, y + b, layer),
    ]


def mark_style(recipe: Recipe, layer_name: str) -> MarkStyle:
    """How an aligning layer draws its marks so that the reference mark shows through its
    plate: clear windows on a dark-field plate, a chrome box and bars on a clear-field one."""
    return "window" if layer_field(recipe.layer(layer_name)) == "dark" else "frame"


def add_marks(
    device: Device,
    recipe: Recipe,
    marks: MarksSpec,
    note: str = "",
) -> Device:
    """Alignment marks per layer pair at two opposite corners, a label row per plate."""
    layers = _layers(recipe)
    names = [spec.name for spec in recipe.layers]
    cell = device.cell.copy(cell_name(device.cell.name, "MARKED"), deep_copy=False)
    (x0, y0), (x1, y1) = bounding_box(cell)
    m = marks.margin
    placed: list[MarkPlacement] = []
    if marks.alignment:
        sizes = mark_sizes(recipe.tool.overlay)
        height = sizes.scaled(COARSE_SCALE).box
        tag_h = 3 * sizes.arm
        pairs = alignment_pairs(names, [spec.align_to for spec in recipe.layers])
        x_left, x_right = x0, x1
        for name, reference in pairs:
            style = mark_style(recipe, name)
            shapes, width, group = alignment_group(
                (0, 0), sizes, layers[reference], layers[name], style
            )
            shapes += text(f"{name}>{reference}", (0, -1.5 * tag_h), tag_h, layers[name])
            # Lower-left corner growing left, upper-right corner growing right.
            for dx, dy in ((x_left - m - width, y0 - m - height), (x_right + m, y1 + m)):
                dx, dy = snap_value(dx), snap_value(dy)
                cell.add(*(poly.copy().translate(dx, dy) for poly in shapes))
                placed += [mark.moved(dx, dy) for mark in group]
            x_left -= width + m
            x_right += width + m
        row_y = y0 - 2 * m - height - 2 * tag_h
    else:
        row_y = y0 - m
    for spec in recipe.layers:
        layer = layers[spec.name]
        row_y -= 1.5 * marks.label_height
        x = x0
        if marks.labels:
            gds = f"{spec.gds[0]}/{spec.gds[1]}"
            words = f"{recipe.name} {spec.name} {gds} REV {recipe.output.revision}"
            words += f" {note}" if note else ""
            label = text(words, (x, row_y), marks.label_height, layer)
            cell.add(*label)
            x = max(float(p.bounding_box()[1][0]) for p in label) + m
        if marks.test_structures:
            bars, _ = resolution_bars((x, row_y), list(marks.bar_widths), layer)
            cell.add(*bars)
    return Device(
        cell,
        device.layers,
        device.footprint,
        device.nets,
        device.closed_form,
        device.info,
        device.marks + placed,
    )


def with_seal(recipe: Recipe, device: Device) -> Device:
    """The device with its seal ring, when the recipe asks for one (part of the device)."""
    if recipe.seal is None and not any(s.role in SEAL_ROLES for s in recipe.layers):
        return device
    layers = _layers(recipe)
    seal_layers = [layers[s.name] for s in recipe.layers if s.role in SEAL_ROLES]
    return add_seal(device, recipe.seal or SealSpec(), seal_layers)


def decorate(recipe: Recipe, device: Device, note: str = "") -> Device:
    """Marks and labels around the device (unless ``marks: null``)."""
    if recipe.marks is None:
        return device
    return add_marks(device, recipe, recipe.marks, note)


def wafer_sites(wafer: WaferSpec, die: tuple[float, float]) -> list[tuple[int, int]]:
    """Lattice indices ``(i, j)`` of whole dies inside the usable wafer, row-major.

    Die ``(i, j)`` is centred at ``(i (w + street), j (h + street))``; the grid is centred on
    the wafer; the flat is at the bottom; dies must clear the edge exclusion of both the rim
    and the flat.
    """
    radius = wafer.diameter / 2
    usable = radius - wafer.edge_exclusion
    flat_y = -math.sqrt(max(radius**2 - (wafer.flat / 2) ** 2, 0.0)) if wafer.flat else -radius
    bottom = flat_y + wafer.edge_exclusion
    px, py = die[0] + wafer.street, die[1] + wafer.street
    hw, hh = die[0] / 2, die[1] / 2
    n = int(radius // min(px, py)) + 1
    sites = []
    for j in range(-n, n + 1):
        for i in range(-n, n + 1):
            cx, cy = i * px, j * py
            corners = [(cx + sx * hw, cy + sy * hh) for sx in (-1, 1) for sy in (-1, 1)]
            if cy - hh >= bottom and all(x * x + y * y <= usable * usable for x, y in corners):
                sites.append((i, j))
    return sorted(sites, key=lambda s: (s[1], s[0]))


def _check_die(wafer: WaferSpec, size: tuple[float, float], dies: list[Device]) -> None:
    """A die must hold the marked device, or neighbouring dies overlap on the wafer."""
    for die in dies:
        (x0, y0), (x1, y1) = bounding_box(die.cell)
        width, height = x1 - x0, y1 - y0
        if width > size[0] + 1e-6 or height > size[1] + 1e-6:
            raise SettingError(
                f"die {size[0]:g} x {size[1]:g} um is smaller than the device with its marks "
                f"({width:g} x {height:g} um): neighbouring dies would overlap",
                ("wafer", "die"),
            )


def _die_size(device: Device) -> tuple[float, float]:
    """The marked device's extent rounded up to whole 0.5 mm."""
    (x0, y0), (x1, y1) = bounding_box(device.cell)
    step = 500.0
    return math.ceil((x1 - x0) / step) * step, math.ceil((y1 - y0) / step) * step


def _centred(device: Device, name: str) -> tuple[gdstk.Cell, tuple[float, float]]:
    """A die cell holding the device centred on the origin, and the device's offset in it."""
    (x0, y0), (x1, y1) = bounding_box(device.cell)
    die = gdstk.Cell(name)
    origin = (snap_value(-(x0 + x1) / 2), snap_value(-(y0 + y1) / 2))
    die.add(gdstk.Reference(device.cell, origin))
    return die, origin


def _prefix_cells(top: gdstk.Cell, prefix: str) -> None:
    """Give every cell of a variant a prefix, so names stay unique in the library."""
    for cell in [top, *top.dependencies(True)]:
        if isinstance(cell, gdstk.Cell):
            cell.name = f"{prefix}_{cell.name}"


def wafer_device(recipe: Recipe, device: Device, roles: RoleLayers, wafer: WaferSpec) -> Device:
    """Step the device (or its sweep variants, one cell each) across the wafer.

    Variant ``k`` of ``n`` fills every die column ``i`` with ``i mod n == k``, so each
    variant's dies still form a regular lattice (arrayed references, ``n`` columns apart).
    """
    dies = [device]
    labels: list[str] = []
    if wafer.sweep:
        variants, _ = design_variants(recipe.design, wafer.sweep, recipe.units)
        dies = []
        for index, (label, params) in enumerate(variants):
            built = decorate(recipe, with_seal(recipe, build_device(params, roles)), note=label)
            _prefix_cells(built.cell, f"V{index}")
            dies.append(built)
            labels.append(label)
    size = wafer.die or max((_die_size(d) for d in dies), key=lambda s: s[0] * s[1])
    _check_die(wafer, size, dies)
    sites = wafer_sites(wafer, size)
    if not sites:
        raise SettingError(
            f"no die of {size[0] / 1000:g} x {size[1] / 1000:g} mm fits the usable wafer "
            f"(diameter {wafer.diameter / 1000:g} mm, edge exclusion "
            f"{wafer.edge_exclusion / 1000:g} mm, flat {wafer.flat / 1000:g} mm)",
            ("wafer", "die" if wafer.die else "diameter"),
        )
    px, py = size[0] + wafer.street, size[1] + wafer.street
    n = len(dies)
    top = gdstk.Cell(cell_name(recipe.name, "WAFER").upper())
    marks: list[MarkPlacement] = []
    for k, die in enumerate(dies):
        cell, (ox, oy) = _centred(die, cell_name("DIE", f"V{k}" if wafer.sweep else ""))
        mine = [(i, j) for i, j in sites if i % n == k]
        if not mine:
            continue
        # The marks of the variant's die nearest the wafer centre stand for all its dies.
        ci, cj = min(mine, key=lambda s: ((s[0] * px) ** 2 + (s[1] * py) ** 2, s[1], s[0]))
        marks += [mark.moved(ox + ci * px, oy + cj * py) for mark in die.marks]
        i0 = min(i for i, _ in mine)
        local = [((i - i0) // n, j) for i, j in mine]
        top.add(*lattice_references(cell, (i0 * px, 0.0), (n * px, py), local))
    facts = device.closed_form | {
        "die_count": float(len(sites)),
        "die_width_um": size[0],
        "die_height_um": size[1],
        "wafer_diameter_um": wafer.diameter,
        "variant_count": float(n),
    }
    info = device.info | {
        "variants": labels,
        "marks_repeat": f"marks listed for the die nearest the wafer centre"
        f"{' of each variant' if wafer.sweep else ''}; every die carries them at the same "
        f"place relative to its centre (die pitch {px:g} x {py:g} um, {len(sites)} dies)",
    }
    return Device(top, device.layers, device.footprint, device.nets, facts, info, marks)


def mask_layout(recipe: Recipe, device: Device, roles: RoleLayers) -> Device:
    """What the plates carry around the (sealed) device: marks, labels, the wafer map.

    Estimates measure the device itself; this layout adds polygons they must not count.
    """
    device = decorate(recipe, device)
    if recipe.wafer is not None:
        device = wafer_device(recipe, device, roles, recipe.wafer)
    return device
