"""COCO panoptic's 133 categories, for data sets shaped as COCO."""
from typing import List

# The category ids of panoptic_{train,val}2017.json, in the order of mmdet's
# CocoPanopticDataset classes: 80 things (1-90), then 53 stuff (92-200).
COCO_PANOPTIC_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18,
                     19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35,
                     36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50,
                     51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
                     65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82,
                     84, 85, 86, 87, 88, 89, 90, 92, 93, 95, 100, 107, 109,
                     112, 118, 119, 122, 125, 128, 130, 133, 138, 141, 144,
                     145, 147, 148, 149, 151, 154, 155, 156, 159, 161, 166,
                     168, 171, 175, 176, 177, 178, 180, 181, 184, 185, 186,
                     187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197,
                     198, 199, 200)


def coco_panoptic_categories() -> List[dict]:
    """COCO panoptic's categories as ``dict(id, name, isthing, color)``.

    Names, colours and the thing / stuff split come from mmdet's
    ``CocoPanopticDataset.METAINFO``, so a data set written with them loads
    in mmdet's COCO panoptic configs unchanged.
    """
    from mmdet.datasets import CocoPanopticDataset
    meta = CocoPanopticDataset.METAINFO
    num_things = len(meta['thing_classes'])
    assert len(meta['classes']) == len(COCO_PANOPTIC_IDS)
    return [
        dict(id=i, name=name, isthing=int(k < num_things), color=list(color))
        for k, (i, name, color) in enumerate(
            zip(COCO_PANOPTIC_IDS, meta['classes'], meta['palette']))
    ]
