package io.coedge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coedge inspect MODEL}: the model summary (layers, shapes, FLOPs, parameters). */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print a model's layers with output shapes, FLOPs and parameters.")
final class InspectCommand extends CoedgeCommand {
    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A zoo model (vgg16, resnet18, alexnet, googlenet) or a path to an .onnx file.")
    String model;

    @Option(names = "--input-shape", paramLabel = "NxCxHxW",
            description = "Concrete input shape for ONNX models with free dimensions.")
    String inputShape;

    @Override
    protected int execute() {
        int[] shape = inputShape == null ? null : RunCommand.parseShape(inputShape);
        ModelSource.Loaded loaded = ModelSource.load(model, shape);
        out().println("model " + loaded.name() + " (" + loaded.origin() + ")");
        out().print(loaded.graph().summary());
        return 0;
    }
}
