"""Generate scanned documents from text-layer PDFs (at test time, from a seed; never stored).

A scan here is what an office scanner gives: each page rendered with pypdfium2, turned
to grey, skewed by a small angle, with sensor noise and a JPEG compression, then wrapped
in an image-only PDF (Pillow) of the same page size. Everything is drawn from a
``numpy.random.default_rng(seed)``, so a test gets the same bytes on every run.

    python tests/ingest/make_scans.py OUTDIR    # writes the scanned fixtures of seed 000
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy


def render(pdf: bytes, dpi: int = 200, pages: list[int] | None = None) -> list:
    """PIL images (RGB) of the pages of ``pdf`` (0-based indexes; all by default)."""
    import pypdfium2
    doc = pypdfium2.PdfDocument(pdf)
    try:
        out = []
        for i in (range(len(doc)) if pages is None else pages):
            page = doc[i]
            out.append(page.render(scale=dpi / 72.0).to_pil().convert("RGB"))
            page.close()
        return out
    finally:
        doc.close()


def degrade(img, rng: numpy.random.Generator, skew_degrees: float = 1.0, noise: float = 12.0,
            jpeg_quality: int = 40):
    """One page image as a scanner would give it: grey, skewed, noisy, JPEG-compressed."""
    from PIL import Image
    grey = img.convert("L").rotate(skew_degrees, resample=Image.BICUBIC, fillcolor=255)
    a = numpy.asarray(grey, dtype=numpy.float32)
    a = a + rng.normal(0.0, noise, a.shape) - rng.uniform(0, 12)  # sensor noise, a slightly grey paper
    grey = Image.fromarray(numpy.clip(a, 0, 255).astype(numpy.uint8))
    buf = io.BytesIO()
    grey.save(buf, "JPEG", quality=jpeg_quality)
    buf.seek(0)
    return Image.open(buf)


def images_to_pdf(images: list, dpi: int) -> bytes:
    """An image-only PDF, one image per page, each page as large as the image at ``dpi``."""
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return buf.getvalue()


def scan_pdf(pdf: bytes, seed: int, dpi: int = 200, pages: list[int] | None = None, **degrade_kw) -> bytes:
    """``pdf`` as an image-only scanned PDF (pages skewed alternately left and right)."""
    rng = numpy.random.default_rng(seed)
    skew = degrade_kw.pop("skew_degrees", 1.0)
    images = [degrade(img, rng, skew_degrees=skew if i % 2 == 0 else -skew, **degrade_kw)
              for i, img in enumerate(render(pdf, dpi, pages))]
    return images_to_pdf(images, dpi)


def mixed_pdf(text_pdf: bytes, scanned: bytes, scanned_pages: set[int]) -> bytes:
    """Pages of ``text_pdf``, except those in ``scanned_pages`` (0-based) taken from ``scanned``."""
    from pypdf import PdfReader, PdfWriter
    text, scan = PdfReader(io.BytesIO(text_pdf)), PdfReader(io.BytesIO(scanned))
    w = PdfWriter()
    for i, page in enumerate(text.pages):
        w.add_page(scan.pages[i] if i in scanned_pages else page)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def photo(seed: int, size: tuple[int, int] = (900, 600)):
    """A picture without text: smooth colour fields and a few blurred shapes."""
    from PIL import Image, ImageDraw, ImageFilter
    rng = numpy.random.default_rng(seed)
    w, h = size
    small = rng.uniform(0, 255, (6, 9, 3)).astype(numpy.uint8)
    img = Image.fromarray(small).resize((w, h), Image.BICUBIC)
    d = ImageDraw.Draw(img)
    for _ in range(6):
        x, y, r = int(rng.uniform(0, w)), int(rng.uniform(0, h)), int(rng.uniform(30, 150))
        d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.uniform(0, 255, 3)))
    return img.filter(ImageFilter.GaussianBlur(6))


def tiff(images: list) -> bytes:
    """A multi-page TIFF of ``images``."""
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return buf.getvalue()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    import make_fixtures as mf
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    seed = mf.SEEDS[0]
    fx = mf.make_pdf(mf.seed_lines(seed), name="000-furniture-dash", header="吉林省扶贫开发工作资料汇编",
                     footer="- {n} -")
    (out / "000-scan.pdf").write_bytes(scan_pdf(fx.data, seed=15))
    print(out / "000-scan.pdf")
