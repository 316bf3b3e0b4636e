"""Structure Injection Module (SIM) of BANet's Instance-To-Semantic path."""
import torch
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class StructureInjectionModule(BaseModule):
    """SIM of BANet (Chen et al., CVPR 2020, Sec. 3.2, Fig. 4).

    Injects the instance structure restored by RoIInlay into the semantic
    features: both maps are projected to one feature space (1x1 convs), then
    concatenated and fused by a 3x3 conv, which also smooths the seams
    RoIInlay leaves at box borders::

        F_SIM = conv3x3([psi_ins(F_inlay); psi_sem(F_S)])

    Args:
        instance_channels (int): Channels of ``F_inlay`` (the mask head's
            ``F_ins``).
        semantic_channels (int): Channels of the semantic features ``F_S``.
        out_channels (int): Channels of the common space and of ``F_SIM``.
        conv_cfg (dict, optional): Conv layers' config. Defaults to None.
        norm_cfg (dict, optional): Norm layers' config. Defaults to GN with
            32 groups.
        act_cfg (dict): Activation config. Defaults to ReLU.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 instance_channels: int,
                 semantic_channels: int,
                 out_channels: int = 256,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('instance_channels', instance_channels),
                            ('semantic_channels', semantic_channels),
                            ('out_channels', out_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f'{self.__class__.__name__}: {name} must be '
                                 f'a positive int, got {value!r}')
        self.instance_channels = instance_channels
        self.semantic_channels = semantic_channels
        self.out_channels = out_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.instance_proj = ConvModule(instance_channels, out_channels, 1,
                                        **common)
        self.semantic_proj = ConvModule(semantic_channels, out_channels, 1,
                                        **common)
        self.fuse = ConvModule(
            2 * out_channels, out_channels, 3, padding=1, **common)

    def forward(self, inlay_feats: Tensor, semantic_feats: Tensor) -> Tensor:
        """(B, C_ins, H, W) F_inlay and (B, C_S, H, W) F_S -> (B, C_out, H, W).
        """
        if (inlay_feats.dim() != 4 or semantic_feats.dim() != 4
                or inlay_feats.shape[0] != semantic_feats.shape[0]
                or inlay_feats.shape[2:] != semantic_feats.shape[2:]):
            raise ValueError(
                f'{self.__class__.__name__}: inlay_feats and semantic_feats '
                'must be (B, C, H, W) maps of the same B, H, W, got '
                f'{tuple(inlay_feats.shape)} and '
                f'{tuple(semantic_feats.shape)}')
        fused = torch.cat([
            self.instance_proj(inlay_feats),
            self.semantic_proj(semantic_feats)
        ],
                          dim=1)
        return self.fuse(fused)
