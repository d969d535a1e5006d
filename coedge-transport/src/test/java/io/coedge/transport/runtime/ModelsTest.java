package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.onnx.OnnxExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsTest {
    @TempDir
    Path dir;

    @Test
    void onnxBytesAreBuiltFromTheBytesAndBadOnesNameTheModel() throws Exception {
        Path file = dir.resolve("tiny.onnx");
        OnnxExporter.write(TestModels.tiny(), file);
        Graph g = Models.build(ModelSpec.onnx("tiny.onnx", Files.readAllBytes(file)));
        assertThat(g.nodes()).hasSameSizeAs(TestModels.tiny().nodes());
        assertThat(g.inputs().get(0).shape()).containsExactly(1, 3, 20, 16);

        // a model received from the coordinator is named by its label, not by a temporary file
        assertThatThrownBy(() -> Models.build(ModelSpec.onnx("broken.onnx", new byte[] {8, 7, 1, 2, 3})))
                .isInstanceOf(ModelException.class)
                .hasMessageStartingWith("'broken.onnx' is not a valid ONNX model: the protobuf data is corrupt or truncated");
        assertThatThrownBy(() -> Models.build(ModelSpec.onnx("empty.onnx", new byte[0])))
                .isInstanceOf(ModelException.class)
                .hasMessage("'empty.onnx' is empty, not an ONNX model");
    }
}
