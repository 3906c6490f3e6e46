"""PyTorch definitions of the engine's architectures (core/Colorize.Engine/Architectures/), for parity tests.

Each class computes exactly what the C# class of the same name computes and has the same state-dict keys in the
same order, so a state dict moves between the two unchanged:

  Pix2PixUnet   pix2pix-unet   the reference pix2pix UnetGenerator / UnetSkipConnectionBlock, but without the
                               reference's in-place LeakyReLU: our skip connection carries the block input unchanged
  PatchGan      patchgan       the reference NLayerDiscriminator
  ClassicUnet   unet-classic   seed 002's U-Net
  ResNetUnet    resnet-unet    torchvision-layout ResNet18/34 encoder + DeOldify-style decoder; with imageNetInput
                               the encoder sees L as ImageNetInput.cs converts it (lab_to_srgb, imagenet_from_srgb)
  SaganCritic   sagan-critic   after DeOldify's custom_gan_critic (see its docstring for where ours differs)

`build(name, hyperparameters)` mirrors ArchitectureRegistry.Build: same hyperparameter names and defaults. Only
the structure is mirrored, not the initialisers (the tests load weights, they never compare initial values).

    import architectures
    net = architectures.build("pix2pix-unet", {"numDowns": 5, "ngf": 8})
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm


def _norm(kind, channels):
    # pix2pix: BatchNorm2d(affine, running stats) or InstanceNorm2d(affine=False, track_running_stats=False).
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.InstanceNorm2d(channels)


# ---------------------------------------------------------------------------------------------------------------
# pix2pix-unet, patchgan

class UnetSkipBlock(nn.Module):
    """One U-Net level. Keys model.<i>...; the outermost block returns model(x), the others cat([x, model(x)], 1)
    with x unchanged (no in-place LeakyReLU, unlike the reference code, whose skip carries LeakyReLU(x)). The two
    compute the same function: the parent block applies ReLU right after the concatenation, and
    relu(leaky_relu(x)) = relu(x), in value and in gradient."""

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, kind="middle", norm="batch",
                 use_dropout=False):
        super().__init__()
        use_bias = norm == "instance"
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, stride=2, padding=1, bias=use_bias)
        if kind == "outermost":
            layers = [downconv, submodule, nn.ReLU(),
                      nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, stride=2, padding=1), nn.Tanh()]
        elif kind == "innermost":
            layers = [nn.LeakyReLU(0.2), downconv, nn.ReLU(),
                      nn.ConvTranspose2d(inner_nc, outer_nc, 4, stride=2, padding=1, bias=use_bias),
                      _norm(norm, outer_nc)]
        else:
            layers = [nn.LeakyReLU(0.2), downconv, _norm(norm, inner_nc), submodule, nn.ReLU(),
                      nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, stride=2, padding=1, bias=use_bias),
                      _norm(norm, outer_nc)]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        self.outermost = kind == "outermost"
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class Pix2PixUnet(nn.Module):
    """pix2pix's UnetGenerator (unet_256 is num_downs=8); dropout 0.5 in the num_downs-5 innermost 8*ngf blocks."""

    def __init__(self, input_nc=1, output_nc=2, num_downs=8, ngf=64, norm="batch", use_dropout=True):
        super().__init__()
        block = UnetSkipBlock(ngf * 8, ngf * 8, kind="innermost", norm=norm)
        for _ in range(num_downs - 5):
            block = UnetSkipBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, use_dropout=use_dropout)
        block = UnetSkipBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipBlock(output_nc, ngf, input_nc=input_nc, submodule=block, kind="outermost", norm=norm)

    def forward(self, x):
        return self.model(x)


class PatchGan(nn.Module):
    """pix2pix's NLayerDiscriminator (n_layers=3 is the 70x70 PatchGAN); logits, no sigmoid."""

    def __init__(self, input_nc=3, ndf=64, n_layers=3, norm="batch"):
        super().__init__()
        use_bias = norm == "instance"
        seq = [nn.Conv2d(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1, bias=use_bias),
                    _norm(norm, ndf * mult), nn.LeakyReLU(0.2)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=use_bias),
                _norm(norm, ndf * mult), nn.LeakyReLU(0.2),
                nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


# ---------------------------------------------------------------------------------------------------------------
# unet-classic

class DoubleConv(nn.Module):
    """(3x3 conv without bias + BatchNorm + ReLU) x 2, keys block.0 ... block.5."""

    def __init__(self, cin, cout):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return self.block(x)


class ClassicUnet(nn.Module):
    """Seed 002's U-Net: depth DoubleConv blocks with 2x2 max-pooling, a bottleneck, depth x (2x2 stride-2
    transposed conv, cat([skip, up]), DoubleConv), a 1x1 conv and tanh."""

    def __init__(self, input_nc=1, output_nc=2, width=64, depth=4):
        super().__init__()
        self.down = nn.ModuleList()
        ch = input_nc
        for i in range(depth):
            self.down.append(DoubleConv(ch, width << i))
            ch = width << i
        self.bottleneck = DoubleConv(ch, width << depth)
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            self.upsample.append(nn.ConvTranspose2d(width << (i + 1), width << i, 2, stride=2))
            self.up.append(DoubleConv(width << (i + 1), width << i))
        self.head = nn.Conv2d(width, output_nc, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for i, (upsample, up) in enumerate(zip(self.upsample, self.up)):
            x = up(torch.cat([skips[-(i + 1)], upsample(x)], 1))
        return torch.tanh(self.head(x))


# ---------------------------------------------------------------------------------------------------------------
# resnet-unet, sagan-critic

def conv_layer(ni, nf, ks, spectral, stride=1, padding=None, bias=True):
    """The decoder's conv: 'same' padding unless given, optionally spectral-normalised (keys bias, weight_orig,
    weight_u, weight_v, as torch.nn.utils.spectral_norm registers them)."""
    conv = nn.Conv2d(ni, nf, ks, stride=stride, padding=(ks - 1) // 2 if padding is None else padding, bias=bias)
    return spectral_norm(conv) if spectral else conv


class SelfAttention(nn.Module):
    """SAGAN self-attention as fastai/DeOldify, with 2-D 1x1 convs (no bias) query, key (C/8) and value (C)."""

    def __init__(self, channels, spectral=True):
        super().__init__()
        self.query = conv_layer(channels, channels // 8, 1, spectral, bias=False)
        self.key = conv_layer(channels, channels // 8, 1, spectral, bias=False)
        self.value = conv_layer(channels, channels, 1, spectral, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, c, h, w = x.shape
        f = self.query(x).reshape(n, -1, h * w)
        g = self.key(x).reshape(n, -1, h * w)
        v = self.value(x).reshape(n, c, h * w)
        beta = F.softmax(torch.bmm(f.transpose(1, 2), g), dim=1)
        return (self.gamma * torch.bmm(v, beta) + x.reshape(n, c, h * w)).reshape(n, c, h, w)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (keys conv1, bn1, conv2, bn2, downsample.0/1)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNetEncoder(nn.Module):
    """torchvision's ResNet18/34 body without avgpool/fc, taking `input_nc` channels; `layer4_blocks` overrides the
    depth's blocks in layer4 (ML.NET's ImageNet ResNet18 has [2, 2, 2, 3])."""

    def __init__(self, depth, input_nc, layer4_blocks=None):
        super().__init__()
        blocks = list({18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}[depth])
        if layer4_blocks is not None:
            if layer4_blocks < 1:
                raise ValueError("layer4_blocks must be at least 1")
            blocks[3] = layer4_blocks
        self.conv1 = nn.Conv2d(input_nc, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for l in range(4):
            cout = 64 << l
            layer = nn.Sequential(*[BasicBlock(cin if b == 0 else cout, cout, 2 if b == 0 and l > 0 else 1)
                                    for b in range(blocks[l])])
            setattr(self, f"layer{l + 1}", layer)
            cin = cout

    def features(self, x, stages=5, conv1_addend=None):
        """The features after conv1 (1/2), layer1 (1/4), layer2 (1/8), layer3 (1/16) and layer4 (1/32); the first
        `stages` of them, as ResNetEncoder.Features. `conv1_addend` is added to conv1's output before bn1."""
        if not 1 <= stages <= 5:
            raise ValueError("stages is 1..5")
        stem = self.conv1(x)
        if conv1_addend is not None:
            stem = stem + conv1_addend
        f = [F.relu(self.bn1(stem))]
        x = F.max_pool2d(f[0], 3, 2, 1)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4)[:stages - 1]:
            x = layer(x)
            f.append(x)
        return f

    def forward(self, x):
        return self.features(x)[4]


# ImageNetInput.cs: normalised Lab -> sRGB -> the input of ML.NET's ImageNet ResNet18 (BGR, 0-255, minus channel
# means). Every constant is the C# float32 constant (folded in float32 as the C# compiler does), so the float64
# reference computes the very function the C# code approximates in float32, by the same formulas in the same order.
_f32 = np.float32
_DELTA = _f32(6) / _f32(29)                                  # f^-1 knee 6/29
_DELTA3 = float(_DELTA * _DELTA * _DELTA)
_LINEAR_SLOPE = float(_f32(3) * _DELTA * _DELTA)             # 3 delta^2
_LINEAR_OFFSET = float(_f32(4) / _f32(29))
_XN, _ZN = float(_f32(0.95047)), float(_f32(1.08883))        # D65 white (Yn = 1)
_SRGB_KNEE = _f32(0.0031308)
_SRGB_OFFSET = float(_f32(0.055) + _f32(12.92) * _SRGB_KNEE)  # 0.055 + 12.92 * knee: the low piece's share
_SRGB_EXPONENT = float(_f32(1) / _f32(2.4))
_XYZ_TO_RGB = [[float(_f32(v)) for v in row] for row in (
    (3.2404542, -1.5371385, -0.4985314),
    (-0.9692660, 1.8760108, 0.0415560),
    (0.0556434, -0.2040259, 1.0572252))]
IMAGENET_MEAN_BGR = [float(_f32(v)) for v in (103.0626, 115.9029, 123.1516)]


def _f_inverse(t):
    """CIE f^-1: t^3 above 6/29, 3 delta^2 (t - 4/29) below, written with clamps as the C# (so that each piece and
    its gradient are exact on either side of the knee; the pieces meet exactly at 6/29)."""
    cube = t.clamp(min=float(_DELTA)).pow(3) - _DELTA3
    linear = (t.clamp(max=float(_DELTA)) - _LINEAR_OFFSET) * _LINEAR_SLOPE
    return cube + linear


def _srgb_gamma(c):
    """Linear -> sRGB after clipping to [0, 1]: 1.055 c^(1/2.4) - 0.055 above 0.0031308, 12.92 c below."""
    c = c.clamp(0, 1)
    high = c.clamp(min=float(_SRGB_KNEE)).pow(_SRGB_EXPONENT) * float(_f32(1.055)) - _SRGB_OFFSET
    low = c.clamp(max=float(_SRGB_KNEE)) * float(_f32(12.92))
    return high + low


def lab_to_srgb(l, ab=None):
    """ImageNetInput.LabToSrgb: l = L/50 - 1 (N,1,H,W), ab = ab/110 (N,2,H,W) or None for grey -> sRGB in [0, 1],
    (N,3,H,W) in R, G, B order. As skimage's lab2xyz, a negative fz is taken as 0."""
    fy = (l * 50 + 66) * float(_f32(1) / _f32(116))
    y = _f_inverse(fy)
    if ab is None:
        grey = _srgb_gamma(y)  # x = Xn y, z = Zn y and the matrix maps white to (1, 1, 1): r = g = b = y, as the C#
        return torch.cat([grey, grey, grey], 1)
    a, b = ab[:, 0:1], ab[:, 1:2]
    x = _f_inverse(fy + a * float(_f32(110) / _f32(500))) * _XN
    z = _f_inverse((fy - b * float(_f32(110) / _f32(200))).clamp(min=0)) * _ZN
    m = _XYZ_TO_RGB
    rgb = [x * m[i][0] + y * m[i][1] + z * m[i][2] for i in range(3)]
    return torch.cat([_srgb_gamma(c) for c in rgb], 1)


def imagenet_from_srgb(rgb):
    """ImageNetInput.FromSrgb: sRGB in [0, 1] (R, G, B) -> B, G, R order, x 255, minus IMAGENET_MEAN_BGR."""
    return torch.cat([rgb[:, 2 - i:3 - i] * 255 - IMAGENET_MEAN_BGR[i] for i in range(3)], 1)


def imagenet_from_grey(l):
    """ImageNetInput.FromGrey: L/50 - 1 as the ImageNet ResNet sees a black-and-white photo."""
    return imagenet_from_srgb(lab_to_srgb(l))


class PixelShuffleIcnr(nn.Module):
    """1x1 conv to 4*nf channels, PixelShuffle(2), blur (replication pad (1,0,1,0) + 2x2 mean, stride 1), ReLU.

    As fastai's PixelShuffle_ICNR: the ReLU comes before the shuffle and the blur (blur(shuf(relu(conv(x)))))."""

    def __init__(self, ni, nf, spectral):
        super().__init__()
        self.conv = conv_layer(ni, nf * 4, 1, spectral)

    def forward(self, x):
        x = F.pixel_shuffle(F.relu(self.conv(x)), 2)
        return F.avg_pool2d(F.pad(x, (1, 0, 1, 0), mode="replicate"), 2, stride=1)


class UnetUpBlock(nn.Module):
    """shuf (PixelShuffleIcnr to up_in/2 channels), bn on the skip, ReLU of the concatenation, convs (+ attention)."""

    def __init__(self, up_in, skip, cout, self_attention, spectral):
        super().__init__()
        self.shuf = PixelShuffleIcnr(up_in, up_in // 2, spectral)
        self.bn = nn.BatchNorm2d(skip)
        ni = up_in // 2 + skip
        layers = [conv_layer(ni, cout, 3, spectral), nn.ReLU(), conv_layer(cout, cout, 3, spectral), nn.ReLU()]
        if self_attention:
            layers.append(SelfAttention(cout, spectral))
        self.convs = nn.Sequential(*layers)

    def forward(self, up, skip):
        x = self.shuf(up)
        if x.shape[-2:] != skip.shape[-2:]:
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.convs(F.relu(torch.cat([x, self.bn(skip)], 1)))


# The classification head (abHead "classes"; AbGamut.cs, AbClassHead.cs): bins of the ab plane in gamut when the ab
# of some 8-bit sRGB colour rounds to them, written here from the colour-space formulas (float64, as
# Colorize.Imaging's CieLab/CieXyz/SrgbTransfer), not from the C# code.

def srgb_gamut_centres(bin_size=10, ab_range=110):
    """The centres (a, b) of the in-gamut bins of side `bin_size` within +-ab_range, a-major: the classes' order."""
    half = ab_range // bin_size
    side = 2 * half + 1
    v = np.arange(256) / 255.0
    lin = np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92)
    g, b = np.meshgrid(lin, lin, indexing="ij")
    g, b = g.ravel(), b.ravel()
    white = (0.95047, 1.0, 1.08883)

    def f(t):
        return np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116)

    def bin_index(v):
        q = v / bin_size
        return np.clip((np.sign(q) * np.floor(np.abs(q) + 0.5)).astype(np.int64) + half, 0, side - 1)

    in_gamut = np.zeros(side * side, dtype=bool)
    for r in lin:
        x = 0.412453 * r + 0.357580 * g + 0.180423 * b
        y = 0.212671 * r + 0.715160 * g + 0.072169 * b
        z = 0.019334 * r + 0.119193 * g + 0.950227 * b
        fx, fy, fz = f(x / white[0]), f(y / white[1]), f(z / white[2])
        in_gamut[bin_index(500 * (fx - fy)) * side + bin_index(200 * (fy - fz))] = True
    cells = np.nonzero(in_gamut)[0]
    return np.stack([(cells // side - half) * bin_size, (cells % side - half) * bin_size], 1)


class AbClassHead(nn.Module):
    """Annealed mean: softmax(logits * (1/T), dim 1), then the expectation of the centres / 110 (a 1x1 conv with the
    fixed centres as its weights). The centres are a plain attribute: neither a parameter nor a buffer, as in C#."""

    def __init__(self, centres, temperature):
        super().__init__()
        self.temperature = temperature
        w = torch.tensor(np.asarray(centres, dtype=np.float64).T / 110.0, dtype=torch.float32)
        self.centres = w.reshape(2, -1, 1, 1)

    def forward(self, logits):
        p = torch.softmax(logits * (1.0 / self.temperature), 1)
        return F.conv2d(p, self.centres.to(p.dtype))


class GlobalContext(nn.Module):
    """Iizuka et al. 2016's global features (GlobalContext.cs): the input's mean over H and W through a 1x1 conv
    (C -> hidden), ReLU and a 1x1 conv (hidden -> C), added to every position. C# starts `expand` at zero.

    With `gated` (globalContextGate) the context is divided by its RMS over the channels (per photo, eps 1e-5 inside
    the root) and multiplied by a per-channel `gate` [1, C, 1, 1], which C# starts at zero (and `expand` random)."""

    GATE_EPSILON = 1e-5  # GlobalContext.GateEpsilon

    def __init__(self, channels=512, hidden=256, gated=False):
        super().__init__()
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.expand = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Parameter(torch.zeros(1, channels, 1, 1)) if gated else None

    def forward(self, x):
        context = self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True))))
        if self.gate is not None:
            rms = torch.sqrt(context.square().mean(1, keepdim=True) + self.GATE_EPSILON)
            context = context / rms * self.gate
        return x + context


class ResNetUnet(nn.Module):
    """ResNet encoder, middle (BN, ReLU, 512->1024->512 3x3 convs), four UnetUpBlocks (attention in the second, at
    1/8 resolution), a final PixelShuffleIcnr, the input concatenated, a residual block, a 1x1 conv and tanh.

    With `imagenet_input` the encoder sees imagenet_from_grey(L) (3 channels) while the residual concatenation
    still takes the 1-channel L itself.

    With `hints` the input is (L, hint a/110, hint b/110, mask): L takes L's path; the three hint planes go through
    hint_input (3->64, 7x7, stride 2, added to the encoder's conv1 output before bn1) and hint_head (3x3, 3->the
    residual channels, added to the residual block's input). Both are zero-initialised in C# (not here: the tests
    load weights) and never spectral-normalised."""

    def __init__(self, encoder_depth=34, input_nc=1, output_nc=2, width=1.0, self_attention=True, spectral=True,
                 layer4_blocks=None, imagenet_input=False, hints=False, class_centres=None, temperature=0.38,
                 global_context=False, global_context_gate=False):
        super().__init__()
        if imagenet_input and input_nc != 1:
            raise ValueError("The ImageNet input takes one L channel")
        if hints and input_nc != 1:
            raise ValueError("The hint input takes one L channel besides the hint planes")
        self.imagenet_input = imagenet_input
        self.encoder = ResNetEncoder(encoder_depth, 3 if imagenet_input else input_nc, layer4_blocks)
        self.middle = nn.Sequential(
            nn.BatchNorm2d(512), nn.ReLU(),
            conv_layer(512, 1024, 3, spectral), nn.ReLU(),
            conv_layer(1024, 512, 3, spectral), nn.ReLU())
        # C#: Math.Max(8, (int)Math.Round(c * width)) with a float width; Python's round is also half-to-even.
        scale = lambda c: max(8, int(round(float(np.float32(c) * np.float32(width)))))  # noqa: E731
        skip_channels = [256, 128, 64, 64]
        out_channels = [scale(256), scale(128), scale(64), scale(64)]
        self.decoder = nn.ModuleList()
        up_in = 512
        for i in range(4):
            self.decoder.append(UnetUpBlock(up_in, skip_channels[i], out_channels[i], self_attention and i == 1,
                                            spectral))
            up_in = out_channels[i]
        self.final_shuffle = PixelShuffleIcnr(up_in, up_in, spectral)
        res = up_in + input_nc
        self.residual = nn.Sequential(conv_layer(res, res, 3, spectral), nn.ReLU(),
                                      conv_layer(res, res, 3, spectral), nn.ReLU())
        # The class head is a plain convolution (ResNetUnet.cs: spectral norm would cap the logits' spread).
        self.head = conv_layer(res, output_nc if class_centres is None else len(class_centres), 1,
                               spectral and class_centres is None)
        self.classes = None if class_centres is None else AbClassHead(class_centres, temperature)
        self.hints = hints
        if hints:  # registered last, as in C#
            self.hint_input = nn.Conv2d(3, 64, 7, stride=2, padding=3)
            self.hint_head = nn.Conv2d(3, res, 3, padding=1)
        if global_context_gate and not global_context:
            raise ValueError("globalContextGate needs globalContext")
        # After the hint branch, as in C#.
        self.global_context = GlobalContext(512, 256, global_context_gate) if global_context else None

    def forward(self, inp):
        if inp.shape[2] % 32 or inp.shape[3] % 32:
            raise ValueError("ResNetUnet needs a height and width divisible by 32")
        l, hint = (inp[:, 0:1], inp[:, 1:4]) if self.hints else (inp, None)
        f = self.encoder.features(imagenet_from_grey(l) if self.imagenet_input else l,
                                  conv1_addend=self.hint_input(hint * 127.5 if self.imagenet_input else hint)
                                  if self.hints else None)
        x = self.middle(f[4] if self.global_context is None else self.global_context(f[4]))
        for i, block in enumerate(self.decoder):
            x = block(x, f[3 - i])
        x = torch.cat([self.final_shuffle(x), l], 1)
        if self.hints:
            x = x + self.hint_head(hint)
        x = x + self.residual(x)
        return torch.tanh(self.head(x)) if self.classes is None else self.classes(self.head(x))


class SaganCritic(nn.Module):
    """Spectral-norm convs + LeakyReLU 0.2, Dropout2d, self-attention after the first downsampling of the loop, a
    patch of logits (keys layers.<i>.0.*, attention layers.<i>.2.*, the last conv layers.<n>.*).

    Differences from DeOldify's custom_gan_critic, mirrored from the C# class: 2-D 1x1 attention convs instead of
    conv1d, a 4-D patch output instead of Flatten, and the last conv not wrapped in its own Sequential."""

    def __init__(self, input_nc=3, nf=64, blocks=3, p=0.15):
        super().__init__()

        def block(ni, no, ks, stride, attention=False):
            layers = [conv_layer(ni, no, ks, True, stride=stride, padding=(ks - 1) // 2), nn.LeakyReLU(0.2)]
            if attention:
                layers.append(SelfAttention(no, True))
            return nn.Sequential(*layers)

        seq = [block(input_nc, nf, 4, 2), nn.Dropout2d(p / 2)]
        for i in range(blocks):
            seq += [block(nf, nf, 3, 1), nn.Dropout2d(p), block(nf, nf * 2, 4, 2, attention=i == 0)]
            nf *= 2
        seq += [block(nf, nf, 3, 1), spectral_norm(nn.Conv2d(nf, 1, 4, padding=0, bias=False))]
        self.layers = nn.Sequential(*seq)

    def forward(self, x):
        return self.layers(x)


# ---------------------------------------------------------------------------------------------------------------

def build(name, hp=None):
    """Builds an architecture from manifest hyperparameters, with ArchitectureRegistry's names and defaults."""
    hp = dict(hp or {})
    if name == "pix2pix-unet":
        return Pix2PixUnet(1, 2, hp.get("numDowns", 8), hp.get("ngf", 64), hp.get("norm", "batch"),
                           hp.get("dropout", True))
    if name == "unet-classic":
        return ClassicUnet(1, 2, hp.get("width", 64), hp.get("depth", 4))
    if name == "resnet-unet":
        depth = hp.get("encoderDepth", 34)
        return ResNetUnet(depth, 1, 2, hp.get("width", 1.0), hp.get("selfAttention", True),
                          hp.get("spectralNorm", True), hp.get("layer4Blocks", 2 if depth == 18 else 3),
                          hp.get("imageNetInput", False), hp.get("hints", False),
                          srgb_gamut_centres(hp.get("abBinSize", 10)) if hp.get("abHead", "tanh") == "classes" else None,
                          hp.get("annealTemperature", 0.38), hp.get("globalContext", False),
                          hp.get("globalContextGate", False))
    if name == "patchgan":
        return PatchGan(3, hp.get("ndf", 64), hp.get("layers", 3), hp.get("norm", "batch"))
    if name == "sagan-critic":
        return SaganCritic(3, hp.get("nf", 64), hp.get("blocks", 3), hp.get("dropout", 0.15))
    raise KeyError(f"unknown architecture {name}")
