package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.onnx.OnnxImporter;
import io.coedge.tensor.Shapes;
import io.coedge.zoo.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Where the CLI gets a {@link Graph} from: a model zoo name ({@link ModelZoo}) or an ONNX file ({@link OnnxImporter}). */
final class ModelSource {
    /** Extra named models (tests register small graphs here). */
    static final Map<String, Supplier<Graph>> EXTRA = new ConcurrentHashMap<>();

    /** A loaded model and how to describe where it came from. */
    record Loaded(Graph graph, String name, String origin) {
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
            return new Loaded(onnx(file, inputShape), file.getFileName().toString(), "ONNX file " + spec);
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

    private static Graph onnx(Path file, int[] inputShape) {
        try {
            return OnnxImporter.load(file, inputShape);
        } catch (ModelException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // The file is untrusted input: whatever the importer trips over is a problem with the file.
            throw new ModelException("cannot load ONNX file " + file + ": " + e, e);
        }
    }
}
