// "How it works": the model card's figures, worded for people.

/**
 * Fill ``element`` with the network's size and accuracies and show it; leave it hidden when
 * the build has no model card or it cannot be read.
 * @param {HTMLElement} element
 * @param {{card: string|null, bytes: number}} model site.json's model entry.
 */
export async function showModelFacts(element, model) {
  if (!model.card) return;
  const response = await fetch(model.card);
  if (!response.ok) return;
  const card = await response.json();
  const percent = (fraction) => `${(fraction * 100).toFixed(2)} %`;
  const { mnist_test: mnist, writer_independent: writers } = card.evaluation;
  const unseen = writers
    ? ` and ${percent(writers.accuracy_mean_over_folds)} of pen digits by writers it had never ` +
      `seen (mean over ${writers.folds} writer folds)`
    : "";
  element.textContent =
    `This network has ${card.parameters.toLocaleString("en")} weights in ` +
    `${Math.round(model.bytes / 1024)} KB and recognises ` +
    `${percent(mnist.accuracy)} of the 10,000 MNIST test digits${unseen}.`;
  element.hidden = false;
}
