package io.coedge.cli;

import io.coedge.tensor.Shapes;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes an image with javax.imageio and applies the standard ImageNet preprocessing, as
 * torchvision's {@code Resize(256)}, {@code CenterCrop(224)}, {@code ToTensor()},
 * {@code Normalize(mean, std)} do: shorter side resized to 256 (bilinear, antialiased like PIL when
 * shrinking), centre crop 224x224, RGB in [0, 1], per-channel mean/std. For other input sizes the
 * shorter side goes to {@code round(max(H, W) * 256 / 224)} and the crop is H x W.
 */
final class ImagePreprocessor {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};
    /** The bundled sample image, on the class path beside this class. */
    static final String SAMPLE = "sample.png";
    /** Images above this many pixels are refused before decoding rather than risking the heap. */
    static final long MAX_PIXELS = 100_000_000L;

    private ImagePreprocessor() {
    }

    /** Reads an image file; a clear error when it is missing, not an image, or absurdly large. */
    static BufferedImage read(Path file) {
        if (!Files.exists(file)) {
            throw new UserError("image file not found: " + file);
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UserError("cannot read image " + file + ": not a readable file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return decode(in, file.toString());
        } catch (IOException e) {
            throw new UserError("cannot decode image " + file + ": " + e.getMessage(), e);
        }
    }

    /** The bundled sample image. */
    static BufferedImage sample() {
        try (InputStream raw = ImagePreprocessor.class.getResourceAsStream(SAMPLE)) {
            if (raw == null) {
                throw new IllegalStateException("the bundled sample image is missing from the class path");
            }
            try (ImageInputStream in = ImageIO.createImageInputStream(raw)) {
                return decode(in, "bundled sample image");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled sample image", e);
        }
    }

    private static BufferedImage decode(ImageInputStream in, String what) throws IOException {
        if (in == null) {
            throw new UserError("cannot read image " + what);
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new UserError("cannot decode image " + what + ": not a format javax.imageio reads (PNG, JPEG, BMP, GIF, WBMP, TIFF)");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            long w = reader.getWidth(0);
            long h = reader.getHeight(0);
            if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                throw new UserError("image " + what + " is " + w + "x" + h + " pixels; at most " + MAX_PIXELS
                        + " pixels are accepted");
            }
            return reader.read(0);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserError u) {
                throw u;
            }
            throw new UserError("cannot decode image " + what + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Preprocesses {@code image} into a logical NCHW array of {@code shape} (N copies of the image).
     * Only 3-channel (RGB) inputs take images.
     */
    static float[] toTensor(BufferedImage image, int[] shape) {
        if (shape.length != 4 || shape[1] != 3) {
            throw new UserError("an image can only feed a model input of shape Nx3xHxW; this model's input is "
                    + Shapes.format(shape) + ": give --input-raw instead");
        }
        int n = shape[0], h = shape[2], w = shape[3];
        float[][] rgb = rgbPlanes(image);
        int iw = image.getWidth(), ih = image.getHeight();
        int resizeTo = (int) Math.round(Math.max(h, w) * 256.0 / 224.0);
        int[] size = resizedSize(iw, ih, resizeTo, w, h);
        float[] chw = new float[3 * h * w];
        int top = (int) Math.rint((size[1] - h) / 2.0);
        int left = (int) Math.rint((size[0] - w) / 2.0);
        for (int c = 0; c < 3; c++) {
            float[] resized = resize(rgb[c], iw, ih, size[0], size[1]);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    chw[(c * h + y) * w + x] = (resized[(y + top) * size[0] + x + left] - MEAN[c]) / STD[c];
                }
            }
        }
        float[] out = new float[n * chw.length];
        for (int b = 0; b < n; b++) {
            System.arraycopy(chw, 0, out, b * chw.length, chw.length);
        }
        return out;
    }

    /**
     * The image at its own size, only scaled to [0, 1] and normalised with the ImageNet mean/std, for
     * models whose input height and width come from the image. {@code shape} is {@code Nx3xHxW} with the
     * image's H and W.
     */
    static float[] toTensorAsIs(BufferedImage image, int[] shape) {
        int n = shape[0], h = shape[2], w = shape[3];
        if (shape[1] != 3 || h != image.getHeight() || w != image.getWidth()) {
            throw new IllegalStateException("shape " + Shapes.format(shape) + " does not fit a "
                    + image.getWidth() + "x" + image.getHeight() + " image");
        }
        float[][] rgb = rgbPlanes(image);
        float[] out = new float[n * 3 * h * w];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < 3; c++) {
                int base = (b * 3 + c) * h * w;
                for (int i = 0; i < h * w; i++) {
                    out[base + i] = (rgb[c][i] - MEAN[c]) / STD[c];
                }
            }
        }
        return out;
    }

    /**
     * The size after torchvision's {@code Resize(s)}: shorter side {@code s}, longer side scaled and
     * truncated; grown further if the crop would not fit (very elongated images with non-square crops).
     */
    static int[] resizedSize(int iw, int ih, int shorter, int cropW, int cropH) {
        int nw, nh;
        if (iw <= ih) {
            nw = shorter;
            nh = (int) ((long) shorter * ih / iw);
        } else {
            nh = shorter;
            nw = (int) ((long) shorter * iw / ih);
        }
        if (nw < cropW || nh < cropH) {
            double scale = Math.max((double) cropW / iw, (double) cropH / ih);
            nw = Math.max(cropW, (int) Math.ceil(iw * scale));
            nh = Math.max(cropH, (int) Math.ceil(ih * scale));
        }
        return new int[] {nw, nh};
    }

    /** Three planes of the image's RGB values in [0, 1]; alpha is ignored. */
    static float[][] rgbPlanes(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        float[][] p = new float[3][w * h];
        if (image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // Java's grey space is linear, so getRGB would brighten the values; PIL (and so
            // torchvision) copies the stored grey level into R, G and B.
            Raster raster = image.getRaster();
            float max = (1 << image.getColorModel().getComponentSize(0)) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    float v = row[x] / max;
                    p[0][y * w + x] = v;
                    p[1][y * w + x] = v;
                    p[2][y * w + x] = v;
                }
            }
            return p;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int v = row[x];
                p[0][y * w + x] = ((v >> 16) & 0xff) / 255f;
                p[1][y * w + x] = ((v >> 8) & 0xff) / 255f;
                p[2][y * w + x] = (v & 0xff) / 255f;
            }
        }
        return p;
    }

    /** Separable bilinear resize of one plane, antialiased when shrinking (PIL's triangle filter). */
    static float[] resize(float[] src, int sw, int sh, int dw, int dh) {
        float[] horizontal = new float[dw * sh];
        Filter fx = Filter.of(sw, dw);
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < dw; x++) {
                float acc = 0;
                int base = y * sw + fx.start[x];
                float[] wts = fx.weights[x];
                for (int k = 0; k < wts.length; k++) {
                    acc += wts[k] * src[base + k];
                }
                horizontal[y * dw + x] = acc;
            }
        }
        float[] out = new float[dw * dh];
        Filter fy = Filter.of(sh, dh);
        for (int y = 0; y < dh; y++) {
            float[] wts = fy.weights[y];
            int s0 = fy.start[y];
            for (int x = 0; x < dw; x++) {
                float acc = 0;
                for (int k = 0; k < wts.length; k++) {
                    acc += wts[k] * horizontal[(s0 + k) * dw + x];
                }
                out[y * dw + x] = acc;
            }
        }
        return out;
    }

    /** Per output coordinate: first source index and normalised weights (as PIL's ImagingResample). */
    private record Filter(int[] start, float[][] weights) {
        static Filter of(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale;
            int[] start = new int[out];
            float[][] weights = new float[out][];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max((int) (center - support + 0.5), 0);
                int hi = Math.min((int) (center + support + 0.5), in);
                double[] w = new double[Math.max(hi - lo, 0)];
                double sum = 0;
                for (int j = 0; j < w.length; j++) {
                    double t = Math.abs((j + lo - center + 0.5) / filterScale);
                    w[j] = t < 1 ? 1 - t : 0;
                    sum += w[j];
                }
                float[] wf = new float[w.length];
                for (int j = 0; j < w.length; j++) {
                    wf[j] = sum == 0 ? 0 : (float) (w[j] / sum);
                }
                start[i] = lo;
                weights[i] = wf;
            }
            return new Filter(start, weights);
        }
    }
}
