package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.tensor.Shapes;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Where the CLI gets a {@link Graph} from: a model zoo name or an ONNX file.
 *
 * <p>The zoo ({@code io.coedge.zoo.ModelZoo}) and the importer ({@code io.coedge.onnx.OnnxImporter})
 * are reached by name so that this module builds before they are part of core; the calls are the
 * agreed signatures {@code ModelZoo.build(String)}, {@code ModelZoo.names()} and
 * {@code OnnxImporter.load(Path, int[])}.
 */
final class ModelSource {
    static final String ZOO_CLASS = "io.coedge.zoo.ModelZoo";
    static final String IMPORTER_CLASS = "io.coedge.onnx.OnnxImporter";
    /** The zoo's names, used when the zoo is not on the class path to say what would be accepted. */
    static final List<String> ZOO_NAMES = List.of("alexnet", "vgg16", "resnet18", "googlenet");

    /** Extra named models (tests register small graphs here). */
    static final Map<String, Supplier<Graph>> EXTRA = new ConcurrentHashMap<>();

    /** A loaded model and how to describe where it came from. */
    record Loaded(Graph graph, String name, String origin) {
    }

    private ModelSource() {
    }

    /** Names accepted by {@code --model} besides file paths. */
    static List<String> names() {
        List<String> names = new ArrayList<>(zooNames());
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
        if (!looksLikeFile && zooNames().contains(lower)) {
            return checkedShape(new Loaded(zoo(lower), lower, "model zoo, deterministic seeded weights"), inputShape);
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

    static List<String> zooNames() {
        Class<?> zoo = find(ZOO_CLASS);
        if (zoo == null) {
            return ZOO_NAMES;
        }
        Object names = invoke(zoo, "names", new Class<?>[0]);
        List<String> out = new ArrayList<>();
        if (names instanceof Collection<?> c) {
            c.forEach(n -> out.add(String.valueOf(n)));
        } else if (names instanceof Object[] a) {
            Arrays.stream(a).forEach(n -> out.add(String.valueOf(n)));
        }
        return out.isEmpty() ? ZOO_NAMES : out;
    }

    private static Graph zoo(String name) {
        Class<?> zoo = find(ZOO_CLASS);
        if (zoo == null) {
            throw new UserError("the model zoo is not included in this build; give an .onnx file instead");
        }
        return (Graph) invoke(zoo, "build", new Class<?>[] {String.class}, name);
    }

    private static Graph onnx(Path file, int[] inputShape) {
        Class<?> importer = find(IMPORTER_CLASS);
        if (importer == null) {
            throw new UserError("ONNX import is not included in this build; use a zoo model: " + String.join(", ", names()));
        }
        try {
            return (Graph) invoke(importer, "load", new Class<?>[] {Path.class, int[].class}, file, inputShape);
        } catch (ModelException | UserError | IllegalArgumentException | OutOfMemoryError e) {
            throw e;
        } catch (RuntimeException e) {
            // The file is untrusted input: whatever the importer trips over is a problem with the file.
            throw new ModelException("cannot load ONNX file " + file + ": " + e, e);
        }
    }

    private static Class<?> find(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static Object invoke(Class<?> owner, String method, Class<?>[] types, Object... args) {
        Method m;
        try {
            m = owner.getMethod(method, types);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(owner.getName() + "." + method + " has an unexpected signature", e);
        }
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new ModelException(String.valueOf(c.getMessage()), c);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
