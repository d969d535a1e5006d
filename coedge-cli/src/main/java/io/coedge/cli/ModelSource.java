package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.onnx.OnnxImporter;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.TensorShapeProto;
import io.coedge.onnx.proto.Onnx.ValueInfoProto;
import io.coedge.tensor.Shapes;
import io.coedge.zoo.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Where the CLI gets a {@link Graph} from: a model zoo name ({@link ModelZoo}) or an ONNX file ({@link OnnxImporter}). */
final class ModelSource {
    /** Extra named models (tests register small graphs here). */
    static final Map<String, Supplier<Graph>> EXTRA = new ConcurrentHashMap<>();

    /**
     * A loaded model and how to describe where it came from. {@code shapeFromImage} is true when the
     * input's height and width were free in the file and were taken from the image.
     */
    record Loaded(Graph graph, String name, String origin, boolean shapeFromImage) {
        Loaded(Graph graph, String name, String origin) {
            this(graph, name, origin, false);
        }
    }

    private ModelSource() {
    }

    /** Names accepted by {@code --model} besides file paths. */
    static List<String> names() {
        List<String> names = new ArrayList<>(ModelZoo.names());
        EXTRA.keySet().stream().sorted().forEach(names::add);
        return names;
    }

    /**
     * Loads {@code spec}: a zoo name, or a path to an ONNX file.
     *
     * @param inputShape the concrete input shape to specialise an ONNX model to, or null
     */
    static Loaded load(String spec, int[] inputShape) {
        return load(spec, inputShape, null);
    }

    /**
     * As {@link #load(String, int[])}; when no shape is given and the ONNX model's first input is
     * {@code N x C x H x W} with free H and W, {@code imageSize} ({width, height}) fills them (N and C,
     * when free too, become 1 and 3).
     */
    static Loaded load(String spec, int[] inputShape, int[] imageSize) {
        if (spec == null || spec.isBlank()) {
            throw new UserError("no model given: use --model with one of " + String.join(", ", names())
                    + " or a path to an .onnx file");
        }
        Supplier<Graph> extra = EXTRA.get(spec);
        if (extra != null) {
            return checkedShape(new Loaded(extra.get(), spec, "built in"), inputShape);
        }
        String lower = spec.toLowerCase(Locale.ROOT);
        Path file = Path.of(spec);
        boolean looksLikeFile = lower.endsWith(".onnx") || spec.contains("/") || spec.contains("\\");
        if (!looksLikeFile && ModelZoo.names().contains(lower)) {
            return checkedShape(new Loaded(ModelZoo.build(lower), lower, "model zoo, seeded weights"), inputShape);
        }
        if (Files.isRegularFile(file)) {
            return onnx(file, spec, inputShape, imageSize);
        }
        if (Files.isDirectory(file)) {
            throw new UserError("model path " + spec + " is a directory; give an .onnx file");
        }
        if (looksLikeFile) {
            throw new UserError("model file not found: " + spec);
        }
        throw new UserError("unknown model '" + spec + "': use one of " + String.join(", ", names())
                + " or a path to an .onnx file");
    }

    /** Zoo models have a fixed input; a different --input-shape is a user error, not a silent override. */
    private static Loaded checkedShape(Loaded m, int[] inputShape) {
        if (inputShape != null) {
            int[] have = m.graph().inputs().get(0).shape();
            if (!Arrays.equals(have, inputShape)) {
                throw new UserError("model " + m.name() + " takes input " + Shapes.format(have) + "; --input-shape "
                        + Shapes.format(inputShape) + " only applies to ONNX files with free dimensions");
            }
        }
        return m;
    }

    private static Loaded onnx(Path file, String spec, int[] inputShape, int[] imageSize) {
        String name = file.getFileName().toString();
        try {
            ModelProto model = OnnxImporter.parse(file);
            int[] shape = inputShape;
            boolean fromImage = false;
            if (shape == null && imageSize != null) {
                shape = shapeFromImage(model.getGraph(), imageSize);
                fromImage = shape != null;
            }
            return new Loaded(OnnxImporter.fromModel(model, name, shape), name, "ONNX file " + spec, fromImage);
        } catch (ModelException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // The file is untrusted input: whatever the importer trips over is a problem with the file.
            throw new ModelException("cannot load ONNX file " + file + ": " + e, e);
        }
    }

    /**
     * The input shape an image gives a model whose first input (the one the importer specialises) is
     * rank 4 with free H and W, or null when the file fixes them or the input is not an image input.
     */
    static int[] shapeFromImage(GraphProto g, int[] imageSize) {
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            initializers.add(t.getName());
        }
        for (ValueInfoProto v : g.getInputList()) {
            if (initializers.contains(v.getName())) {
                continue;
            }
            if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
                return null;
            }
            List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
            if (dims.size() != 4 || dims.get(2).hasDimValue() || dims.get(3).hasDimValue()) {
                return null;
            }
            long n = dims.get(0).hasDimValue() ? dims.get(0).getDimValue() : 1;
            long c = dims.get(1).hasDimValue() ? dims.get(1).getDimValue() : 3;
            if (c != 3 || n < 1 || n > 1024) {
                return null;
            }
            return new int[] {(int) n, 3, imageSize[1], imageSize[0]};
        }
        return null;
    }
}
