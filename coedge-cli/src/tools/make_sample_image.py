#!/usr/bin/python3
"""Draws the bundled sample image (a small outdoor scene) deterministically with PIL.

Run from the repository root:
    /usr/bin/python3 coedge-cli/src/tools/make_sample_image.py
It writes coedge-cli/src/main/resources/io/coedge/cli/sample.png (320x240 RGB).
"""
import math
import os
import random

from PIL import Image, ImageDraw, ImageFilter

W, H = 320, 240
OUT = os.path.join(os.path.dirname(__file__), "..", "main", "resources", "io", "coedge", "cli", "sample.png")

rng = random.Random(20240522)
img = Image.new("RGB", (W, H))
d = ImageDraw.Draw(img)

# Sky: vertical gradient.
for y in range(H):
    t = y / H
    d.line([(0, y), (W, y)], fill=(int(70 + 110 * t), int(130 + 80 * t), int(230 - 20 * t)))

# Sun.
d.ellipse([238, 22, 288, 72], fill=(255, 236, 150))

# Two hills.
for base, amp, phase, colour in [(150, 28, 0.3, (92, 150, 70)), (175, 18, 1.7, (70, 128, 52))]:
    pts = [(x, base - amp * math.sin(x / W * math.pi * 1.6 + phase)) for x in range(0, W + 1, 4)]
    d.polygon(pts + [(W, H), (0, H)], fill=colour)

# Grass texture.
for _ in range(900):
    x, y = rng.randrange(W), rng.randrange(170, H)
    g = rng.randrange(100, 170)
    d.line([(x, y), (x + rng.randrange(-2, 3), y - rng.randrange(3, 8))], fill=(40, g, 35))

# A house: walls, roof, door, windows.
d.rectangle([70, 120, 160, 190], fill=(196, 92, 64), outline=(90, 40, 30))
d.polygon([(60, 122), (115, 80), (170, 122)], fill=(110, 60, 50))
d.rectangle([102, 150, 126, 190], fill=(80, 50, 30))
for wx in (80, 136):
    d.rectangle([wx, 132, wx + 16, 148], fill=(200, 225, 250), outline=(60, 60, 60))

# A tree.
d.rectangle([220, 130, 232, 190], fill=(100, 70, 40))
for cx, cy, r in [(226, 112, 26), (210, 126, 18), (244, 126, 18)]:
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(40, 110, 45))

img = img.filter(ImageFilter.SMOOTH)
img.save(os.path.normpath(OUT), optimize=True)
print(os.path.normpath(OUT), os.path.getsize(OUT), "bytes")
