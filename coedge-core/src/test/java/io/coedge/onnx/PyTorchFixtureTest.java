package io.coedge.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The small network exported from PyTorch by {@code scripts/export_onnx_fixtures.py --models smallnet}
 * (committed under {@code src/test/resources/onnx}): conv, batch norm, relu, max pool, residual add,
 * concat, squeeze-excitation, resize, global pool and the {@code x.view(x.size(0), -1)} shape chain.
 */
class PyTorchFixtureTest {
    static Path fixtures() throws URISyntaxException {
        return Path.of(PyTorchFixtureTest.class.getResource("/onnx/smallnet.onnx").toURI()).getParent();
    }

    @Test
    void smallExportedNetworkGivesPyTorchsOutput() throws Exception {
        Graph g = ExportedModelCheck.load(fixtures(), "smallnet");
        // The shape chain before the classifier's Reshape is folded at import and never reaches the graph;
        // every BatchNormalization follows a Conv and is folded into it.
        assertThat(g.nodes()).extracting(n -> n.op().type())
                .doesNotContain("Shape", "Gather", "Unsqueeze", "Constant", "BatchNormalization").contains("Reshape", "Resize", "Gemm");
        ExportedModelCheck.check(fixtures(), "smallnet", Executor.reference(g));
    }

    @Test
    void smallExportedNetworkRunsWithABatchOfTwo() throws Exception {
        Graph g = OnnxImporter.load(fixtures().resolve("smallnet.onnx"), new int[] {2, 3, 32, 32});
        assertThat(g.shape(g.outputs().get(0))).containsExactly(2, 10);
    }

    /**
     * A fully convolutional network exported at opset 11 with dynamic height and width: the bilinear
     * upsampling's target size is a Shape/Gather/Slice/Cast/Concat chain that folds only once the input
     * shape is given.
     */
    @Test
    void dynamicSpatialExportIsSpecialisedToTheGivenShape() throws Exception {
        Graph g = OnnxImporter.load(fixtures().resolve("tinyfcn.onnx"), new int[] {1, 3, 24, 40});
        assertThat(g.shape(g.outputs().get(0))).containsExactly(1, 4, 24, 40);
        assertThat(g.nodes()).extracting(n -> n.op().type()).doesNotContain("Shape", "Slice", "Cast");
        ExportedModelCheck.check(fixtures(), "tinyfcn", Executor.reference(g));
        Graph other = OnnxImporter.load(fixtures().resolve("tinyfcn.onnx"), new int[] {1, 3, 32, 48});
        assertThat(other.shape(other.outputs().get(0))).containsExactly(1, 4, 32, 48);
    }

    @Test
    void dynamicSpatialExportWithoutAShapeAsksForOne() {
        assertThatThrownBy(() -> OnnxImporter.load(fixtures().resolve("tinyfcn.onnx"), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("batchx3xheightxwidth")
                .hasMessageContaining("--input-shape");
        assertThatThrownBy(() -> OnnxImporter.load(fixtures().resolve("tinyfcn.onnx"), new int[] {1, 4, 24, 40}))
                .isInstanceOf(ModelException.class).hasMessageContaining("dimension 1");
    }
}
