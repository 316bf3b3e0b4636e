"""How a fusion head reads its semantic logits: BANet's and REFINE's
all-class layout, or the stuff + one thing channel layout of mmdet's
``PanopticFPNHead`` (so the heads also fuse a stock PanopticFPN)."""

SEMANTIC_LAYOUTS = ('auto', 'all_classes', 'stuff_thing')


def check_semantic_layout(owner: str, layout: str) -> None:
    """Reject a ``semantic_layout`` setting that is not one of
    :data:`SEMANTIC_LAYOUTS`."""
    if layout not in SEMANTIC_LAYOUTS:
        raise ValueError(f'{owner}: semantic_layout must be one of '
                         f'{SEMANTIC_LAYOUTS}, got {layout!r}')


def resolve_semantic_layout(owner: str, layout: str, num_channels: int,
                            num_things_classes: int,
                            num_stuff_classes: int) -> str:
    """The layout (``'all_classes'``: things first, then stuff;
    ``'stuff_thing'``: stuff, then one thing channel) of ``num_channels``
    logits under the ``semantic_layout`` setting ``layout``; ``'auto'``
    tells them apart by the channel count."""
    expected = dict(
        all_classes=num_things_classes + num_stuff_classes,
        stuff_thing=num_stuff_classes + 1)
    if layout == 'auto':
        if expected['all_classes'] == expected['stuff_thing']:
            raise ValueError(
                f'{owner}: semantic_layout="auto" cannot tell the layouts '
                f'apart: with one thing class both have {num_channels} '
                "channels; set semantic_layout to 'all_classes' or "
                "'stuff_thing'")
        for name, channels in expected.items():
            if channels == num_channels:
                return name
    elif expected[layout] == num_channels:
        return layout
    raise ValueError(
        f'{owner}: seg_preds has {num_channels} channels; expected '
        f"{expected['all_classes']} (all classes, things first) or "
        f"{expected['stuff_thing']} (stuff, then mmdet's thing channel) for "
        f'semantic_layout={layout!r}')
