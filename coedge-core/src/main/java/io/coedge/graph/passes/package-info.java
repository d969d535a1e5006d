/** Graph-to-graph rewrites applied at load time, such as folding BatchNormalization into convs. */
package io.coedge.graph.passes;
