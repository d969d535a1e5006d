package io.coedge.onnx;

import static io.coedge.onnx.OnnxModels.convRelu;
import static io.coedge.onnx.OnnxModels.floatValue;
import static io.coedge.onnx.OnnxModels.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.coedge.graph.ModelException;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt, hostile and unsupported models each give one clear {@link ModelException}; none exhausts memory. */
@Timeout(30)
class OnnxBadInputTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Path write(String name, ModelProto m) throws IOException {
        return write(name, m.toByteArray());
    }

    @Test
    void missingFileIsReported() {
        assertThatThrownBy(() -> OnnxImporter.load(dir.resolve("nope.onnx"), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("does not exist");
    }

    @Test
    void emptyFileIsNotAModel() throws IOException {
        Path p = write("empty.onnx", new byte[0]);
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void truncatedFileIsCorrupt() throws IOException {
        byte[] full = convRelu(13, 1).toByteArray();
        // Cut inside the graph (which comes last in the encoding), at several places.
        for (int cut : new int[] {full.length - 1, full.length - 7, full.length / 2, 20}) {
            Path p = write("trunc" + cut + ".onnx", Arrays.copyOf(full, cut));
            assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                    .hasMessageContaining("not a valid ONNX model");
        }
    }

    @Test
    void randomBytesAreNotAModel() throws IOException {
        Random r = new Random(42);
        for (int i = 0; i < 20; i++) {
            byte[] b = new byte[1 + r.nextInt(4096)];
            r.nextBytes(b);
            Path p = write("random" + i + ".onnx", b);
            assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                    .hasMessageContaining("not a valid ONNX model");
        }
    }

    @Test
    void textFileIsNotAModel() throws IOException {
        Path p = write("model.onnx", "<html>404 not found</html>\n".getBytes());
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("not a valid ONNX model");
    }

    @Test
    void lengthFieldLargerThanTheFileIsRejectedWithoutAllocating() throws IOException {
        // ModelProto.graph (field 7, length-delimited) claiming 2 GB of content followed by a few bytes.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeInt64(1, 8);
        out.writeTag(7, 2);
        out.writeUInt32NoTag(Integer.MAX_VALUE - 16);
        out.writeRawBytes(new byte[] {10, 2, 1, 2});
        out.flush();
        Path p = write("liar.onnx", bytes.toByteArray());
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("not a valid ONNX model");
        // the same lie as the first field: protobuf calls it "too large" and then advises its own API
        byte[] first = new byte[16];
        System.arraycopy(new byte[] {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}, 0, first, 0, 6);
        Path q = write("liar2.onnx", first);
        assertThatThrownBy(() -> OnnxImporter.load(q, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("not a valid ONNX model").hasMessageNotContaining("setSizeLimit");
    }

    @Test
    void hugeDimsWithTinyRawDataAreRejectedBeforeAllocation() throws IOException {
        ModelProto good = convRelu(13, 1);
        TensorProto liar = good.getGraph().getInitializer(0).toBuilder().clearDims()
                .addDims(1 << 20).addDims(1 << 20).addDims(3).addDims(3).build();
        ModelProto bad = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(0, liar)).build();
        Path p = write("hostile.onnx", bad);
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("initializer 'W'");
        TensorProto liar2 = good.getGraph().getInitializer(0).toBuilder().clearDims()
                .addDims(4096).addDims(4096).addDims(3).addDims(3).build();
        ModelProto bad2 = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(0, liar2)).build();
        Path p2 = write("hostile2.onnx", bad2);
        assertThatThrownBy(() -> OnnxImporter.load(p2, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("raw_data").hasMessageContaining("initializer 'W'");
    }

    @Test
    void floatDataCountMustMatchDims() throws IOException {
        ModelProto good = convRelu(13, 1);
        TensorProto bias = good.getGraph().getInitializer(1).toBuilder().clearDims().addDims(300_000_000).build();
        ModelProto bad = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(1, bias)).build();
        Path p = write("bias.onnx", bad);
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("float_data").hasMessageContaining("initializer 'B'");
    }

    @Test
    void negativeDimsAreRejected() throws IOException {
        ModelProto good = convRelu(13, 1);
        TensorProto bias = good.getGraph().getInitializer(1).toBuilder().clearDims().addDims(-3).build();
        ModelProto bad = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(1, bias)).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("neg.onnx", bad), null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("invalid dimension -3");
    }

    @Test
    void externalDataIsRejectedWithAnExplanation() throws IOException {
        ModelProto good = convRelu(13, 1);
        TensorProto ext = good.getGraph().getInitializer(0).toBuilder().clearRawData()
                .setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
        ModelProto bad = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(0, ext)).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("ext.onnx", bad), null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("external").hasMessageContaining("'W'");
    }

    @Test
    void unsupportedOperatorNamesNodeAndOperator() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .setNode(1, node("my_topk", "NonMaxSuppression", new String[] {"C"}, new String[] {"Y"})).build();
        Path p = write("unsupported.onnx", good.toBuilder().setGraph(g).build());
        assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("my_topk").hasMessageContaining("NonMaxSuppression");
    }

    @Test
    void operatorOfAnotherDomainIsUnsupported() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .setNode(1, node("fused", "FusedConv", new String[] {"C"}, new String[] {"Y"}).toBuilder()
                        .setDomain("com.microsoft").build()).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("domain.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("fused").hasMessageContaining("com.microsoft");
    }

    @Test
    void opsetOutOfRangeIsRejected() throws IOException {
        for (int opset : new int[] {9, 10, 18}) {
            Path p = write("opset" + opset + ".onnx", convRelu(opset, 1));
            assertThatThrownBy(() -> OnnxImporter.load(p, null)).isInstanceOf(ModelException.class)
                    .hasMessageContaining("opset " + opset).hasMessageContaining("11 to 17");
        }
    }

    @Test
    void givenShapeThatContradictsAFixedDimensionIsAnError() throws IOException {
        Path p = write("fixed.onnx", convRelu(13, 1));
        assertThatThrownBy(() -> OnnxImporter.load(p, new int[] {1, 3, 5, 5})).isInstanceOf(ModelException.class)
                .hasMessageContaining("input 'X'").hasMessageContaining("dimension 1");
        assertThatThrownBy(() -> OnnxImporter.load(p, new int[] {1, 2, 5})).isInstanceOf(ModelException.class)
                .hasMessageContaining("rank 4");
    }

    @Test
    void shapeMismatchBetweenNodesNamesTheNode() throws IOException {
        // The model says X has 4 channels but the weight expects 2.
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder().setInput(0, floatValue("X", 1, 4, 5, 5)).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("mismatch.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("conv");
    }

    @Test
    void integerGraphInputIsRejected() throws IOException {
        ModelProto good = convRelu(13, 1);
        var x = good.getGraph().getInput(0).toBuilder();
        x.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.INT64_VALUE);
        GraphProto g = good.getGraph().toBuilder().setInput(0, x).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("int.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("INT64").hasMessageContaining("'X'");
    }

    @Test
    void castOfARuntimeTensorToIntegersNamesTheNode() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .setNode(1, node("to_int", "Cast", new String[] {"C"}, new String[] {"Y"},
                        OnnxModels.intAttr("to", TensorProto.DataType.INT64_VALUE))).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("cast.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("to_int").hasMessageContaining("INT64");
    }

    @Test
    void hostileConstantOfShapeCannotAllocateGigabytes() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .addInitializer(OnnxModels.int64s("big", new long[] {1L << 20, 1L << 20}, 2))
                .addNode(node("fill", "ConstantOfShape", new String[] {"big"}, new String[] {"F"})).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("fill.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("fill").hasMessageContaining("too large");
    }

    @Test
    void valueWithoutProducerIsReported() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .setNode(1, node("relu", "Relu", new String[] {"ghost"}, new String[] {"Y"})).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("ghost.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("relu").hasMessageContaining("ghost");
    }

    @Test
    void rawDataWithWrongByteCountIsRejected() throws IOException {
        ModelProto good = convRelu(13, 1);
        TensorProto w = good.getGraph().getInitializer(0);
        TensorProto odd = w.toBuilder().setRawData(ByteString.copyFrom(new byte[w.getRawData().size() + 2])).build();
        ModelProto bad = good.toBuilder().setGraph(good.getGraph().toBuilder().setInitializer(0, odd)).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("odd.onnx", bad), null)).isInstanceOf(ModelException.class)
                .hasMessageContaining("raw_data");
        assertThat(w.getRawData().size()).isEqualTo(3 * 2 * 3 * 3 * 4);
    }

    @Test
    void hostileResizeScaleIsRejectedAtLoadNotAtRunTime() throws IOException {
        ModelProto good = convRelu(13, 1);
        GraphProto g = good.getGraph().toBuilder()
                .addInitializer(OnnxModels.floatData("scales", new float[] {1, 1, 1e6f, 1e6f}, 4))
                .setNode(1, node("blowup", "Resize", new String[] {"C", "", "scales"}, new String[] {"Y"})).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("resize.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("blowup").hasMessageContaining("more than");
    }

    @Test
    void overflowingConstantOfShapeIsRejected() throws IOException {
        ModelProto good = convRelu(13, 1);
        long big = Integer.MAX_VALUE;
        GraphProto g = good.getGraph().toBuilder()
                .addInitializer(OnnxModels.int64s("big", new long[] {big, big, big, 16}, 4))
                .addNode(node("wrap", "ConstantOfShape", new String[] {"big"}, new String[] {"F"})).build();
        assertThatThrownBy(() -> OnnxImporter.load(write("wrap.onnx", good.toBuilder().setGraph(g).build()), null))
                .isInstanceOf(ModelException.class).hasMessageContaining("wrap").hasMessageContaining("too large");
    }
}
