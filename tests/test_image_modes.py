"""Images are read as they show: every Pillow mode the loaders meet becomes the right
8-bit grey levels, or is refused with an error naming the file and its mode. Each image
is made here with Pillow (no real-data image is committed)."""

import numpy as np
import pytest
from PIL import Image

from ferlib.datasets import faces
from ferlib.datasets.ckplus import load_ckplus48
from ferlib.datasets.folders import load_folders
from ferlib.datasets.jaffe import load_jaffe

#: A 48x48 face-sized ramp through every grey level from 10 to 245.
RAMP = (10 + (np.arange(48 * 48).reshape(48, 48) * 235) // (48 * 48 - 1)).astype(np.uint8)


def _read(image, path, **save):
    image.save(path, **save)
    return faces.read_grey_with_mode(path)


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_16_bit_images_are_scaled_to_8_bits_not_saturated(suffix, tmp_path):
    """A 16-bit PNG (CK+48) or TIFF (JAFFE) made from 8-bit grey levels by v * 257 reads
    back exactly (not saturated at 255)."""
    grey, mode = _read(Image.fromarray(RAMP.astype(np.uint16) * 257), tmp_path / f"a{suffix}")
    assert mode == "I;16"
    np.testing.assert_array_equal(grey, RAMP)
    assert abs(grey.mean() - RAMP.mean()) < 1e-9


def test_big_endian_16_bit_and_32_bit_integer_images(tmp_path):
    big = Image.frombytes("I;16B", (48, 48), (RAMP.astype(">u2") * 257).tobytes())
    grey, mode = _read(big, tmp_path / "big.tiff")
    assert mode in ("I;16B", "I;16")
    np.testing.assert_array_equal(grey, RAMP)
    wide = Image.fromarray(RAMP.astype(np.int32) * 257, mode="I")
    grey, mode = _read(wide, tmp_path / "i.tiff")
    assert mode == "I"
    np.testing.assert_array_equal(grey, RAMP)
    negative = Image.fromarray(np.full((48, 48), -5, np.int32), mode="I")
    negative.save(tmp_path / "neg.tiff")
    with pytest.raises(ValueError, match=r"neg\.tiff: mode I with values from -5 to -5; expected 0\.\.65535"):
        faces.read_grey(tmp_path / "neg.tiff")


def test_float_images_in_0_to_1_or_0_to_255_and_refused_otherwise(tmp_path):
    """A float TIFF of 0..1 is fractions of white (it loaded all black before); one of
    0..255 is grey levels; anything else is refused naming the file and the mode."""
    grey, mode = _read(Image.fromarray(RAMP.astype(np.float32) / 255), tmp_path / "unit.tiff")
    assert mode == "F"
    np.testing.assert_array_equal(grey, RAMP)
    grey, _ = _read(Image.fromarray(RAMP.astype(np.float32)), tmp_path / "levels.tiff")
    np.testing.assert_array_equal(grey, RAMP)
    for name, values, message in (("big.tiff", np.full((48, 48), 300.0), "values from 300 to 300; expected 0..1"),
                                  ("nan.tiff", np.full((48, 48), np.nan), "NaN or infinite values")):
        Image.fromarray(values.astype(np.float32)).save(tmp_path / name)
        with pytest.raises(ValueError, match=f"{name}: mode F \\(floating point\\) with {message}"):
            faces.read_grey(tmp_path / name)


def test_palette_images_read_through_their_colour_table(tmp_path):
    image = Image.fromarray(np.arange(48 * 48, dtype=np.uint8).reshape(48, 48) % 64, mode="L").convert("P")
    image.putpalette([channel for level in range(256) for channel in (255 - level,) * 3])
    grey, mode = _read(image, tmp_path / "p.png")
    assert mode == "P"
    np.testing.assert_array_equal(grey, 255 - np.asarray(image))
    image.info["transparency"] = 0  # index 0 transparent
    image.save(tmp_path / "pt.png", transparency=0)
    with pytest.raises(ValueError, match=r"pt\.png: mode RGBA with 36 of 2,304 pixels transparent; expected an "
                                         r"opaque image"):
        faces.read_grey(tmp_path / "pt.png")


@pytest.mark.parametrize("mode", ["LA", "RGBA", "PA"])
def test_alpha_images_read_when_opaque_and_refused_when_transparent(mode, tmp_path):
    opaque = Image.fromarray(RAMP).convert(mode)
    grey, read_mode = _read(opaque, tmp_path / "opaque.png" if mode != "PA" else tmp_path / "opaque.tiff")
    assert read_mode in (mode, "RGBA", "P")
    np.testing.assert_array_equal(grey, RAMP)
    bands = list(Image.fromarray(RAMP).convert("LA" if mode == "LA" else "RGBA").split())
    alpha = np.full((48, 48), 255, np.uint8)
    alpha[:4] = 0
    transparent = Image.merge("LA" if mode == "LA" else "RGBA", [*bands[:-1], Image.fromarray(alpha)])
    transparent.save(tmp_path / "t.png")
    with pytest.raises(ValueError, match=r"t\.png: mode \w+ with 192 of 2,304 pixels transparent"):
        faces.read_grey(tmp_path / "t.png")


def test_cmyk_images_read_through_rgb(tmp_path):
    cmyk = np.zeros((48, 48, 4), np.uint8)
    cmyk[..., 3] = 255 - RAMP  # black ink only: grey level 255 - K
    grey, mode = _read(Image.fromarray(cmyk, mode="CMYK"), tmp_path / "c.tiff")
    assert mode == "CMYK"
    np.testing.assert_array_equal(grey, RAMP)
    cyan = np.zeros((48, 48, 4), np.uint8)
    cyan[..., 0] = 255
    grey, _ = _read(Image.fromarray(cyan, mode="CMYK"), tmp_path / "cyan.jpg", quality=100)
    assert abs(int(grey.mean()) - round(0.587 * 255 + 0.114 * 255)) <= 3  # cyan = green + blue


def test_exif_orientation_is_applied(tmp_path):
    """A photo stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise to
    view) reads as it shows."""
    stored = np.zeros((30, 40), np.uint8)
    stored[0, :] = 255  # the stored image's top row
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "sideways.jpg", exif=exif, quality=100)
    grey = faces.read_grey(tmp_path / "sideways.jpg")
    assert grey.shape == (40, 30)
    assert grey[:, -1].mean() > 200 and grey[:, 0].mean() < 50  # the top row is now the right column
    Image.fromarray(stored).save(tmp_path / "upright.jpg", quality=100)
    assert faces.read_grey(tmp_path / "upright.jpg").shape == (30, 40)


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "YCbCr", "HSV"])
def test_grey_colour_and_bilevel_modes_read_by_luminance(mode, tmp_path):
    image = Image.fromarray(RAMP).convert(mode)
    suffix = {"YCbCr": ".jpg", "HSV": ".tiff"}.get(mode, ".png")
    if mode == "HSV":
        grey = faces.grey_levels(image)
    else:
        grey, _ = _read(image, tmp_path / f"x{suffix}", **({"quality": 100} if suffix == ".jpg" else {}))
    expected = np.asarray(image.convert("RGB").convert("L")) if mode != "1" else np.asarray(image.convert("L"))
    assert np.abs(grey.astype(int) - expected.astype(int)).max() <= (3 if suffix == ".jpg" else 0)


def test_an_unknown_mode_is_refused_naming_the_mode():
    with pytest.raises(faces._Refused, match="mode LAB cannot be read as grey levels"):
        faces.grey_levels(Image.new("LAB", (4, 4)))


def test_the_loaders_read_16_bit_and_float_files_right(tmp_path):
    """CK+48 as 16-bit PNGs, JAFFE as float TIFFs of 0..1, class folders as 16-bit: the
    loaded images are those of the 8-bit originals."""
    face = RAMP.copy()
    ck = tmp_path / "CK+48" / "happy"
    ck.mkdir(parents=True)
    Image.fromarray(face.astype(np.uint16) * 257).save(ck / "S010_004_00000001.png")
    Image.fromarray(face).save(ck / "S010_004_00000002.png")
    images = load_ckplus48(tmp_path / "CK+48").images
    np.testing.assert_array_equal(images[0], images[1])
    jaffe = tmp_path / "jaffe"
    jaffe.mkdir()
    big = np.kron(face, np.ones((4, 4), np.uint8))  # 192x192: the loader crops and resizes
    Image.fromarray(big.astype(np.float32) / 255).save(jaffe / "KA.HA1.29.tiff")
    Image.fromarray(big).save(jaffe / "KA.HA2.30.tiff")
    images = load_jaffe(jaffe, crop="center").images
    np.testing.assert_array_equal(images[0], images[1])
    assert images[0].mean() > 50  # not all black
    mine = tmp_path / "mine" / "happy"
    mine.mkdir(parents=True)
    Image.fromarray(face.astype(np.uint16) * 257).save(mine / "a.tiff")
    np.testing.assert_array_equal(load_folders(tmp_path / "mine").images[0], face)
