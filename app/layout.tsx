import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { AuthProvider } from '@/modules/auth/components/auth-ui';
import { SiteHeader } from '@/modules/auth/components/site-header';
import './globals.css';

// Every page shows the visitor's auth state in the header: render per request,
// never at build time (when no Clerk keys or database exist).
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Clerk + Prisma 7 reference app', template: '%s · Clerk + Prisma 7' },
  description:
    'A Next.js app where Clerk signs people in and PostgreSQL, through Prisma 7, keeps a synced copy of every user and their posts.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <AuthProvider>
          <SiteHeader />
          {children}
        </AuthProvider>
      </body>
    </html>
  );
}
