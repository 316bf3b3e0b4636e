"""Object Context Module (OCM) of BANet's Instance-To-Semantic path."""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class ObjectContextModule(BaseModule):
    """OCM of BANet (Chen et al., CVPR 2020, Sec. 3.2, Fig. 4).

    Describes the layout of the objects in the scene and adds it to every
    pixel of the SIM output. ``F_inlay`` is projected to ``E`` channels
    (E = 10 in the paper), max-pooled at several grid sizes ``s``, flattened,
    concatenated and projected to one encoding vector per image, which is
    tiled over ``H x W``, concatenated with ``F_SIM`` and projected::

        e     = fc([flatten(maxpool_s(conv1x1_E(F_inlay))) for s in sizes])
        F_I2S = conv1x1([F_SIM; tile_HxW(e)])

    The paper gives no pyramid sizes; the default ``(1, 2, 3, 6)`` are
    PSPNet's pyramid pooling bins (Zhao et al., CVPR 2017): the whole image,
    then ever finer grids, ``E * (1 + 4 + 9 + 36) = 500`` numbers for E = 10.
    Pooling is adaptive, so any map size works.

    Args:
        instance_channels (int): Channels of ``F_inlay``.
        in_channels (int): Channels of ``F_SIM``.
        out_channels (int): Channels of ``F_I2S``.
        embed_channels (int): ``E``, channels of the projected ``F_inlay``.
            Defaults to 10.
        pool_sizes (Sequence[int]): Output grid sizes of the max-pooling
            pyramid. Defaults to (1, 2, 3, 6).
        encoding_channels (int): Length of the layout encoding. Defaults to
            256.
        conv_cfg (dict, optional): Conv layers' config. Defaults to None.
        norm_cfg (dict, optional): Norm config of the final projection
            (the ``E``-channel projection has none: E = 10 does not split
            into GN groups). Defaults to GN with 32 groups.
        act_cfg (dict): Activation config. Defaults to ReLU.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 instance_channels: int,
                 in_channels: int,
                 out_channels: int = 256,
                 embed_channels: int = 10,
                 pool_sizes: Sequence[int] = (1, 2, 3, 6),
                 encoding_channels: int = 256,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        name = self.__class__.__name__
        for arg, value in (('instance_channels',
                            instance_channels), ('in_channels', in_channels),
                           ('out_channels', out_channels), ('embed_channels',
                                                            embed_channels),
                           ('encoding_channels', encoding_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f'{name}: {arg} must be a positive int, got {value!r}')
        pool_sizes = tuple(pool_sizes)
        if not pool_sizes or not all(
                isinstance(s, int) and s > 0 for s in pool_sizes):
            raise ValueError(f'{name}: pool_sizes must be a non-empty '
                             f'sequence of positive ints, got {pool_sizes!r}')
        self.instance_channels = instance_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.embed_channels = embed_channels
        self.pool_sizes = pool_sizes
        self.encoding_channels = encoding_channels

        self.embed = ConvModule(
            instance_channels,
            embed_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=None,
            act_cfg=act_cfg)
        self.encode = nn.Sequential(
            nn.Linear(embed_channels * sum(s * s for s in pool_sizes),
                      encoding_channels), nn.ReLU(inplace=True))
        self.fuse = ConvModule(
            in_channels + encoding_channels,
            out_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

    def encode_layout(self, inlay_feats: Tensor) -> Tensor:
        """(B, C_ins, H, W) F_inlay -> (B, encoding_channels) encoding."""
        embedded = self.embed(inlay_feats)
        pyramid = [
            F.adaptive_max_pool2d(embedded, size).flatten(1)
            for size in self.pool_sizes
        ]
        return self.encode(torch.cat(pyramid, dim=1))

    def forward(self, inlay_feats: Tensor, sim_feats: Tensor) -> Tensor:
        """(B, C_ins, H, W) F_inlay and (B, C_in, H, W) F_SIM -> (B, C_out, H,
        W) F_I2S."""
        if (inlay_feats.dim() != 4 or sim_feats.dim() != 4
                or inlay_feats.shape[0] != sim_feats.shape[0]
                or inlay_feats.shape[2:] != sim_feats.shape[2:]):
            raise ValueError(
                f'{self.__class__.__name__}: inlay_feats and sim_feats must '
                'be (B, C, H, W) maps of the same B, H, W, got '
                f'{tuple(inlay_feats.shape)} and {tuple(sim_feats.shape)}')
        encoding = self.encode_layout(inlay_feats)
        tiled = encoding[:, :, None, None].expand(-1, -1, *sim_feats.shape[2:])
        return self.fuse(torch.cat([sim_feats, tiled], dim=1))
