package io.coedge.ops;

import static io.coedge.ops.OpRunner.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.Attributes;
import io.coedge.graph.ModelException;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Expected values from the ONNX Resize node tests and torch.nn.functional.interpolate (noted per test). */
class ResizeTest {
    private static final Offset<Float> EPS = within(1e-5f);

    private static Resize scales(String mode, String coord, String nearest, float sh, float sw) {
        return new Resize(mode, coord, nearest, new float[] {1, 1, sh, sw}, null);
    }

    private static Resize sizes(String mode, String coord, String nearest, int h, int w) {
        return new Resize(mode, coord, nearest, null, new int[] {1, 1, h, w});
    }

    @Test
    void nearestUpsampleRepeatsPixels() {
        // ONNX test_resize_upsample_scales_nearest: scales [1, 1, 2, 3]
        float[] y = new OpRunner().input(iota(4), 1, 1, 2, 2).run(scales("nearest", "half_pixel", "round_prefer_floor", 2, 3));
        assertThat(y).containsExactly(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4);
    }

    @Test
    void bilinearHalfPixelMatchesTheOnnxTest() {
        // ONNX test_resize_upsample_scales_linear; torch bilinear align_corners=False gives the same.
        float[] y = new OpRunner().input(iota(4), 1, 1, 2, 2).run(scales("linear", "half_pixel", "round_prefer_floor", 2, 2));
        assertThat(y).containsExactly(new float[] {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f,
            3, 3.25f, 3.75f, 4}, EPS);
    }

    @Test
    void bilinearAlignCornersKeepsTheCorners() {
        float[] y = new OpRunner().input(iota(4), 1, 1, 2, 2).run(scales("linear", "align_corners", "round_prefer_floor", 2, 2));
        assertThat(y).containsExactly(new float[] {1, 4 / 3f, 5 / 3f, 2, 5 / 3f, 2, 7 / 3f, 8 / 3f, 7 / 3f, 8 / 3f, 3, 10 / 3f,
            3, 10 / 3f, 11 / 3f, 4}, EPS);
    }

    @Test
    void bilinearDownsampleMatchesTheOnnxTest() {
        // ONNX test_resize_downsample_scales_linear: [[1..4],[5..8]], scales 0.6 -> [[2.6666665, 4.3333331]]
        float[] y = new OpRunner().input(iota(8), 1, 1, 2, 4).run(scales("linear", "half_pixel", "round_prefer_floor", 0.6f, 0.6f));
        assertThat(y).containsExactly(new float[] {2.6666665f, 4.3333331f}, EPS);
    }

    @Test
    void pytorchHalfPixelWithSizesMatchesTorchBilinear() {
        // torch: F.interpolate(arange(1,13).reshape(1,1,3,4), size=(5,7), mode='bilinear', align_corners=False)
        float[] y = new OpRunner().input(iota(12), 1, 1, 3, 4).run(sizes("linear", "pytorch_half_pixel", "round_prefer_floor", 5, 7));
        assertThat(y).containsExactly(new float[] {1.0f, 1.357143f, 1.928571f, 2.5f, 3.071429f, 3.642857f, 4.0f, 2.6f, 2.957143f,
            3.528572f, 4.1f, 4.671429f, 5.242857f, 5.6f, 5.0f, 5.357143f, 5.928572f, 6.5f, 7.071429f, 7.642858f, 8.0f,
            7.400001f, 7.757143f, 8.328572f, 8.900001f, 9.471429f, 10.042858f, 10.400001f, 9.0f, 9.357142f, 9.928572f, 10.5f,
            11.071429f, 11.642858f, 12.0f}, within(2e-5f));
    }

    @Test
    void asymmetricFloorWithSizesMatchesTorchNearest() {
        // torch: F.interpolate(arange(1,13).reshape(1,1,3,4), size=(5,7), mode='nearest')
        float[] y = new OpRunner().input(iota(12), 1, 1, 3, 4).run(sizes("nearest", "asymmetric", "floor", 5, 7));
        assertThat(y).containsExactly(1, 1, 2, 2, 3, 3, 4, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8, 5, 5, 6, 6, 7, 7, 8, 9, 9,
                10, 10, 11, 11, 12);
    }

    @Test
    void nearestModesRoundHalvesAsNamed() {
        // 1-D view: in=4 -> out=8 asymmetric gives x/2: 0, .5, 1, 1.5, ...; the halves decide.
        float[] floor = new OpRunner().input(iota(4), 1, 1, 1, 4).run(scales("nearest", "asymmetric", "round_prefer_floor", 1, 2));
        assertThat(floor).containsExactly(1, 1, 2, 2, 3, 3, 4, 4);
        float[] ceil = new OpRunner().input(iota(4), 1, 1, 1, 4).run(scales("nearest", "asymmetric", "round_prefer_ceil", 1, 2));
        assertThat(ceil).containsExactly(1, 2, 2, 3, 3, 4, 4, 4);
        float[] up = new OpRunner().input(iota(4), 1, 1, 1, 4).run(scales("nearest", "asymmetric", "ceil", 1, 2));
        assertThat(up).containsExactly(1, 2, 2, 3, 3, 4, 4, 4);
        // tf_half_pixel_for_nearest: (x + 0.5) / 2 = .25, .75, 1.25, ... rounded down by floor.
        float[] tf = new OpRunner().input(iota(4), 1, 1, 1, 4).run(scales("nearest", "tf_half_pixel_for_nearest", "floor", 1, 2));
        assertThat(tf).containsExactly(1, 1, 2, 2, 3, 3, 4, 4);
    }

    @Test
    void registryReadsScalesOrSizesFromConstantInputs() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor scales = Tensor.vector(arena, 1, 1, 2, 2);
            Resize r = (Resize) OpRegistry.create("Resize", "up", new Attributes("up").put("mode", "nearest"), 13,
                    i -> i == 2 ? scales : null);
            assertThat(r.scales()).containsExactly(1, 1, 2, 2);
            assertThat(r.coordinateMode()).isEqualTo("half_pixel");
            Tensor sizes = Tensor.vector(arena, 1, 3, 10, 12);
            Resize s = (Resize) OpRegistry.create("Resize", "up", new Attributes("up").put("mode", "linear"), 13,
                    i -> i == 3 ? sizes : i == 2 ? Tensor.vector(arena) : null);
            assertThat(s.sizes()).containsExactly(1, 3, 10, 12);
        }
    }

    @Test
    void unsupportedModesAreNamedInTheError() {
        assertThatThrownBy(() -> OpRegistry.create("Resize", "r", new Attributes("r").put("mode", "cubic"), 13, i -> null))
                .isInstanceOf(ModelException.class).hasMessageContaining("'r'").hasMessageContaining("cubic");
        assertThatThrownBy(() -> OpRegistry.create("Resize", "r", new Attributes("r"), 13, i -> null))
                .isInstanceOf(ModelException.class).hasMessageContaining("scales and sizes");
    }

    @Test
    void rowGeometryOfAnUpsampleHalvesTheRows() {
        Resize up = scales("nearest", "asymmetric", "floor", 2, 2);
        assertThat(up.inputRows(0, 4, 8)).containsExactly(0, 2);
        assertThat(up.inputRows(5, 9, 8)).containsExactly(2, 5);
        Resize lin = scales("linear", "half_pixel", "round_prefer_floor", 2, 2);
        // Output row 5 reads rows 2 and 3 (source 2.25), output row 8 rows 3 and 4 (source 3.75).
        assertThat(lin.inputRows(5, 9, 8)).containsExactly(2, 5);
        // Output row 0 clamps its source to row 0 and reads its neighbour with weight 0.
        assertThat(lin.inputRows(0, 1, 8)).containsExactly(0, 2);
    }
}
