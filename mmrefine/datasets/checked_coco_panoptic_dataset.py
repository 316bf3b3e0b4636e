from mmdet.datasets import CocoPanopticDataset
from mmdet.registry import DATASETS

from .coco_panoptic_check import check_coco_panoptic


@DATASETS.register_module()
class CheckedCocoPanopticDataset(CocoPanopticDataset):
    """mmdet's :class:`CocoPanopticDataset` that checks its annotations
    when it is built, so bad data fails before a run starts.

    Always (cheap): every class of ``metainfo`` is a category of the JSON,
    and every segment's ``category_id`` is one of them; mmdet would
    otherwise relabel classes silently or fail with a bare ``KeyError``.
    With ``check_annotations`` also the full check of
    :func:`~mmrefine.datasets.coco_panoptic_check.check_coco_panoptic`:
    every image and PNG is decoded and compared with ``segments_info``
    (tens of milliseconds an image, so off by default for COCO-size sets;
    ``tools/misc/check_coco_panoptic.py --nproc N`` checks those once).

    Args:
        check_annotations (bool): run the full check. Defaults to False.
        check_nproc (int): processes of the full check. Defaults to 1.
        **kwargs: :class:`CocoPanopticDataset`'s arguments.
    """

    def __init__(self,
                 *args,
                 check_annotations=False,
                 check_nproc=1,
                 **kwargs):
        self.check_annotations = check_annotations
        self.check_nproc = check_nproc
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        classes = self.metainfo['classes']
        if self.check_annotations:
            check_coco_panoptic(
                self.ann_file,
                self.data_prefix['img'],
                self.data_prefix['seg'],
                classes,
                self.metainfo['thing_classes'],
                nproc=self.check_nproc)
        data_list = super().load_data_list()
        if len(self.cat_ids) != len(classes):
            raise ValueError(
                f'{self.ann_file}: only {len(self.cat_ids)} of the data '
                f'set\'s {len(classes)} classes {list(classes)} are '
                f'categories of the JSON (ids {self.cat_ids}); set the data '
                f'set\'s metainfo=dict(classes=..., thing_classes=..., '
                f'stuff_classes=...) to its categories, things first, and '
                f'the model\'s class counts')
        return data_list

    def parse_data_info(self, raw_data_info):
        img_info = raw_data_info['raw_img_info']
        for ann in raw_data_info['raw_ann_info']:
            # mmdet's COCOPanoptic may list other images' segments here
            if (ann['image_id'] == img_info['img_id']
                    and ann['category_id'] not in self.cat2label):
                raise ValueError(
                    f'{self.ann_file}: image {img_info["img_id"]} '
                    f'({img_info["file_name"]}): segment {ann["id"]} has '
                    f'category_id {ann["category_id"]}, not one of the '
                    f'categories {sorted(self.cat2label)}')
        return super().parse_data_info(raw_data_info)
