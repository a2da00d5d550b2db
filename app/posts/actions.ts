'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { authedAction } from '@/modules/auth/src/services/authed-action';
import { ActionError, success } from '@/modules/cores/actions/action-state';
import {
  POST_CREATE_LIMIT,
  POST_DELETE_LIMIT,
  POST_EDIT_LIMIT,
  postIdSchema,
  postInputSchema,
  updatePostSchema,
} from '@/modules/posts/src/interfaces/post.schema';
import { createPost, deletePost, PostNotFoundError, updatePost } from '@/modules/posts/src/services/posts.service';

const NOT_YOURS = 'That post does not exist, or it is not yours.';

/** Every page that shows a post. */
function revalidatePosts(postId?: string) {
  revalidatePath('/dashboard');
  revalidatePath('/posts');
  if (postId) revalidatePath(`/posts/${postId}`);
}

export const createPostAction = authedAction({ schema: postInputSchema, limit: POST_CREATE_LIMIT }, async ({ user }, input) => {
  await createPost(user.id, input);
  revalidatePosts();
  return success('Post published.');
});

export const updatePostAction = authedAction({ schema: updatePostSchema, limit: POST_EDIT_LIMIT }, async ({ user }, { postId, ...input }) => {
  try {
    await updatePost(user.id, postId, input);
  } catch (error) {
    if (error instanceof PostNotFoundError) throw new ActionError(NOT_YOURS);
    throw error;
  }
  revalidatePosts(postId);
  redirect(`/posts/${postId}?saved=1`);
});

export const deletePostAction = authedAction({ schema: postIdSchema, limit: POST_DELETE_LIMIT }, async ({ user }, { postId }) => {
  try {
    await deletePost(user.id, postId);
  } catch (error) {
    if (error instanceof PostNotFoundError) throw new ActionError(NOT_YOURS);
    throw error;
  }
  revalidatePosts(postId);
  redirect('/dashboard?deleted=1');
});
