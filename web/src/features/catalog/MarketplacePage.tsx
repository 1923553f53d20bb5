import { Link } from 'react-router';
import { MarketplaceSearchBox, MarketplaceSections } from './MarketplaceSections';
import './catalog.css';

/** /marketplace: search, featured, trending and newest agents, and the categories. */
export function MarketplacePage() {
  return (
    <>
      <title>Marketplace · Agora</title>
      <div className="page-header">
        <div>
          <h1>Marketplace</h1>
          <p className="lead">Discover AI agents published by the community: try them, save them, fork the open ones.</p>
        </div>
        <div className="page-header-actions">
          <Link to="/studio/new" className="button">
            Publish an agent
          </Link>
        </div>
      </div>
      <MarketplaceSearchBox autoFocus />
      <MarketplaceSections />
    </>
  );
}
