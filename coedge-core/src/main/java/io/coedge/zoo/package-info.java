/** Classic CNNs built in code with torchvision's topologies and seeded weights; see {@link io.coedge.zoo.ModelZoo}. */
package io.coedge.zoo;
