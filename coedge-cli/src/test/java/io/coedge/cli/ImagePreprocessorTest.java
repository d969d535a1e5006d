package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {

    @Test
    void sampleImageMatchesTorchvisionPreprocessing() {
        // Reference from torchvision: Resize(256), CenterCrop(224), ToTensor(), Normalize(ImageNet) on
        // sample.png (PIL rounds to uint8 after resizing; hence a tolerance of one grey level / std).
        float[] t = ImagePreprocessor.toTensor(ImagePreprocessor.sample(), new int[] {1, 3, 224, 224});
        double[] means = {-0.34704518, 0.2893139, 0.5182921};
        float[] pixel100 = {-0.23418105f, -0.9852941f, -0.9329847f};
        for (int c = 0; c < 3; c++) {
            double m = 0;
            for (int i = 0; i < 224 * 224; i++) {
                m += t[c * 224 * 224 + i];
            }
            assertThat(m / (224 * 224)).as("mean of channel %d", c).isCloseTo(means[c], within(1e-3));
            assertThat(t[(c * 224 + 100) * 224 + 100]).as("channel %d at (100, 100)", c)
                    .isCloseTo(pixel100[c], within(0.02f));
        }
    }

    @Test
    void uniformImageBecomesNormalisedConstantsInEveryBatchCopy() {
        BufferedImage img = new BufferedImage(500, 300, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(51, 102, 204));
        g.fillRect(0, 0, 500, 300);
        g.dispose();
        float[] t = ImagePreprocessor.toTensor(img, new int[] {2, 3, 32, 48});
        float[] rgb = {51 / 255f, 102 / 255f, 204 / 255f};
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) {
                float expect = (rgb[c] - ImagePreprocessor.MEAN[c]) / ImagePreprocessor.STD[c];
                for (int i = 0; i < 32 * 48; i++) {
                    assertThat(t[(b * 3 + c) * 32 * 48 + i]).isCloseTo(expect, within(1e-5f));
                }
            }
        }
    }

    @Test
    void greyImagesKeepTheirStoredLevelsInAllThreeChannels() {
        // Java's grey colour space is linear: getRGB would turn level 100 into 168. PIL copies 100.
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY}) {
            BufferedImage img = new BufferedImage(4, 4, type);
            int max = type == BufferedImage.TYPE_BYTE_GRAY ? 255 : 65535;
            int level = type == BufferedImage.TYPE_BYTE_GRAY ? 100 : 100 * 257;
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    img.getRaster().setSample(x, y, 0, level);
                }
            }
            float[][] p = ImagePreprocessor.rgbPlanes(img);
            for (int c = 0; c < 3; c++) {
                assertThat(p[c][5]).as("type %d channel %d", type, c).isCloseTo((float) level / max, within(1e-6f));
            }
        }
    }

    @Test
    void shorterSideGoesTo256AndTheLongerIsTruncatedLikeTorchvision() {
        assertThat(ImagePreprocessor.resizedSize(320, 240, 256, 224, 224)).containsExactly(341, 256);
        assertThat(ImagePreprocessor.resizedSize(240, 320, 256, 224, 224)).containsExactly(256, 341);
        // A very wide crop on a tall image: grown until the crop fits.
        int[] s = ImagePreprocessor.resizedSize(100, 1000, 64, 200, 50);
        assertThat(s[0]).isGreaterThanOrEqualTo(200);
        assertThat(s[1]).isGreaterThanOrEqualTo(50);
    }

    @Test
    void upscalingInterpolatesBetweenNeighbours() {
        float[] out = ImagePreprocessor.resize(new float[] {0, 1}, 2, 1, 4, 1);
        assertThat(out).containsExactly(0f, 0.25f, 0.75f, 1f);
    }

    @Test
    void imagesOnlyFeedThreeChannelInputs() {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        assertThatThrownBy(() -> ImagePreprocessor.toTensor(img, new int[] {1, 1, 8, 8}))
                .isInstanceOf(UserError.class).hasMessageContaining("--input-raw");
    }
}
