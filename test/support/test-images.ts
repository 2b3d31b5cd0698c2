import type Dockerode from 'dockerode';

/**
 * Removes image names one by one without force: a name the image shares with another is only
 * untagged, the last one deletes the image (unless a container uses it: then it stays).
 */
export async function removeImageNames(docker: Dockerode, ...names: string[]): Promise<void> {
  for (const name of names) {
    await docker
      .getImage(name)
      .remove()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
      });
  }
}

/**
 * Names of a leftover of a run that crashed before its cleanup: the test tag, and the content tag
 * (matching `contentTag`) only if nothing else names the image.
 */
export async function leftoverImageNames(docker: Dockerode, testTag: string, contentTag: RegExp): Promise<string[]> {
  const tags = await docker
    .getImage(testTag)
    .inspect()
    .then((image) => image.RepoTags ?? [])
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return [];
      throw err;
    });
  return tags.every((tag) => tag === testTag || contentTag.test(tag)) ? tags : [testTag];
}
