import type { Metadata } from 'next';
import { SignUpScreen } from '@/modules/auth/components/auth-ui';

export const metadata: Metadata = { title: 'Sign up' };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ redirect_url?: string }> }) {
  const { redirect_url: redirectUrl } = await searchParams;
  return (
    <main className="flex justify-center px-6 py-16">
      <SignUpScreen redirectUrl={redirectUrl} />
    </main>
  );
}
