import type { Metadata } from 'next';
import { SignInScreen } from '@/modules/auth/components/auth-ui';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ redirect_url?: string }> }) {
  const { redirect_url: redirectUrl } = await searchParams;
  return (
    <main className="flex justify-center px-6 py-16">
      <SignInScreen redirectUrl={redirectUrl} />
    </main>
  );
}
