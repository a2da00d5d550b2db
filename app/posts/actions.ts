'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { ActionError, authedAction, success } from '@/modules/cores/actions/authed-action';
import { postIdSchema, postInputSchema, updatePostSchema } from '@/modules/posts/src/interfaces/post.schema';
import { createPost, deletePost, PostNotFoundError, RateLimitedError, updatePost } from '@/modules/posts/src/services/posts.service';

const NOT_YOURS = 'That post does not exist, or it is not yours.';

/** Every page that shows a post. */
function revalidatePosts(postId?: string) {
  revalidatePath('/dashboard');
  revalidatePath('/posts');
  if (postId) revalidatePath(`/posts/${postId}`);
}

export const createPostAction = authedAction(postInputSchema, async ({ user }, input) => {
  try {
    await createPost(user.id, input);
  } catch (error) {
    if (error instanceof RateLimitedError) {
      throw new ActionError(`You are posting too fast. Try again in ${error.retryAfterSeconds} seconds.`);
    }
    throw error;
  }
  revalidatePosts();
  return success('Post published.');
});

export const updatePostAction = authedAction(updatePostSchema, async ({ user }, { postId, ...input }) => {
  try {
    await updatePost(user.id, postId, input);
  } catch (error) {
    if (error instanceof PostNotFoundError) throw new ActionError(NOT_YOURS);
    throw error;
  }
  revalidatePosts(postId);
  redirect(`/posts/${postId}?saved=1`);
});

export const deletePostAction = authedAction(postIdSchema, async ({ user }, { postId }) => {
  try {
    await deletePost(user.id, postId);
  } catch (error) {
    if (error instanceof PostNotFoundError) throw new ActionError(NOT_YOURS);
    throw error;
  }
  revalidatePosts(postId);
  redirect('/dashboard?deleted=1');
});
